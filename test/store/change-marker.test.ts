import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storeChangeMarker } from '../../src/store/db/change-marker.js';
import { openStore } from '../../src/store/db/open-store.js';
import type { Database } from '../../src/store/db/schema.js';
import type { Store } from '../../src/store/db/store.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

/**
 * The store's change marker (docs/architecture.md#change-marker) on both databases: unchanged by
 * reads and by work not yet committed, moved by a commit of this connection or of another one.
 */
const NOW = new Date().toISOString();

describe.each(STORE_KINDS)('the store change marker (%s)', (storeKind) => {
  let ts: TestStore;
  let other: Store;

  beforeEach(async () => {
    ts = await openTestStore(storeKind);
    // A second store on the same database: another process's connection (a worker), as far as the
    // first one can tell.
    other = await openStore(ts.location);
  });
  afterEach(async () => {
    await other?.close();
    await ts?.drop();
  });

  const addUser = (db: Kysely<Database>, name: string) =>
    db
      .insertInto('users')
      .values({ name, role: 'viewer', passwordHash: 'x', createdAt: NOW, updatedAt: NOW })
      .execute();

  /**
   * Whether the marker stayed across `between` at least once in a few tries. On PostgreSQL a commit in
   * any database of the cluster (other test files run beside this one) moves it too, so a single try
   * could see one; a marker that moved with every read would fail every try.
   */
  async function staysAcross(marker: () => Promise<string>, between: () => Promise<unknown>) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const before = await marker();
      await between();
      if ((await marker()) === before) return true;
    }
    return false;
  }

  it('stays while only reads happen', async () => {
    const marker = storeChangeMarker(ts.store);
    expect(
      await staysAcross(marker, async () => {
        await ts.store.db.selectFrom('users').selectAll().execute();
        await other.db.selectFrom('hosts').selectAll().execute();
      }),
    ).toBe(true);
  });

  it('moves when this connection writes', async () => {
    const marker = storeChangeMarker(ts.store);
    const before = await marker();
    await addUser(ts.store.db, 'ada');
    expect(await marker()).not.toBe(before);
  });

  it('moves when another connection commits, and not while its work is uncommitted', async () => {
    const marker = storeChangeMarker(ts.store);
    const before = await marker();
    let uncommittedStays = false;
    await other.db.transaction().execute(async (trx) => {
      await addUser(trx, 'grace');
      uncommittedStays = await staysAcross(marker, () => addUser(trx, `grace-${Math.random()}`));
    });
    expect(uncommittedStays).toBe(true);
    expect(await marker()).not.toBe(before);
  });
});
