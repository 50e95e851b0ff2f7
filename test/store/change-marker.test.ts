import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sharedMarkerReads, storeChangeMarker } from '../../src/store/db/change-marker.js';
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

describe('shared marker reads', () => {
  /** A marker whose reads the test ends by hand; each read answers its own number. */
  function gatedMarker() {
    const started: Array<(value: string) => void> = [];
    return {
      marker: () => new Promise<string>((resolve) => started.push(resolve)),
      started,
      end(i: number) {
        started[i]!(`read ${i + 1}`);
      },
    };
  }
  const turn = () => new Promise((resolve) => setImmediate(resolve));

  it('gives the calls made while a read runs one read started after it, never the running one', async () => {
    const g = gatedMarker();
    const shared = sharedMarkerReads(g.marker);
    const first = shared();
    const later = Array.from({ length: 10 }, () => shared());
    expect(g.started.length).toBe(1);
    g.end(0);
    expect(await first).toBe('read 1');
    await turn();
    // One read for the ten calls, started only once the first had ended.
    expect(g.started.length).toBe(2);
    g.end(1);
    expect(await Promise.all(later)).toEqual(Array(10).fill('read 2'));
    // A call with no read running starts its own.
    const next = shared();
    expect(g.started.length).toBe(3);
    g.end(2);
    expect(await next).toBe('read 3');
  });

  it('queues behind a read that failed, and passes a failure on only to those it was read for', async () => {
    let calls = 0;
    const shared = sharedMarkerReads(async () => {
      calls++;
      if (calls === 1) throw new Error('connection lost');
      return `read ${calls}`;
    });
    const first = shared();
    const second = shared();
    await expect(first).rejects.toThrow('connection lost');
    expect(await second).toBe('read 2');
    expect(calls).toBe(2);
  });
});
