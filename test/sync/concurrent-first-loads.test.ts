import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db/open-store.js';
import type { Store } from '../../src/store/db/store.js';
import { FINDING_SECONDARY_INDEXES } from '../../src/store/findings/finding-indexes.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, openFindingKeys, sync, truthFindingKeys } from '../helpers/sync-harness.js';
import { openTestStore, POSTGRES_AVAILABLE, type TestStore } from '../helpers/test-stores.js';

async function findingIndexNames(store: Store): Promise<string[]> {
  const found = await sql<{
    name: string;
  }>`SELECT indexname AS name FROM pg_indexes WHERE tablename = 'findings'`.execute(store.db);
  return found.rows.map((r) => r.name);
}

// Two processes (two pools, as two workers hold) start the first loads of two connectors into one
// empty PostgreSQL store at once: both decide the findings table is empty, so both drop the deferred
// indexes and both build them again when their pass ends.
describe.skipIf(!POSTGRES_AVAILABLE)('two first loads at once on PostgreSQL', () => {
  const sims: TestSimulator[] = [];
  let db: TestStore;
  let second: Store;
  beforeAll(async () => {
    sims.push(await startTestSimulator({ devices: 150, seed: 21 }));
    sims.push(await startTestSimulator({ devices: 150, seed: 22 }));
    db = await openTestStore('postgres');
    second = await openStore(db.location, { create: false });
  });
  afterAll(async () => {
    await second?.close();
    await db?.drop();
    for (const s of sims) await s.close();
  });

  it('both succeed, each stores its tenant exactly, and the findings indexes are all there after', async () => {
    const stores = [db.store, second];
    for (let round = 0; round < 2; round++) {
      const connectors = await Promise.all(
        sims.map((sim, i) => addConnector(db.store, sim, {}, `round${round}-tenant${i}`)),
      );
      if (round === 1) {
        // The second round starts from an empty findings table again.
        await db.store.db.deleteFrom('findings').execute();
      }
      const results = await Promise.all(
        sims.map((sim, i) => sync(stores[i]!, sim, 'auto', `round${round}-tenant${i}`)),
      );
      for (const [i, result] of results.entries()) {
        expect(result.state, `round ${round}, tenant ${i}`).toBe('succeeded');
        expect(await openFindingKeys(db.store, connectors[i]!.id)).toEqual(await truthFindingKeys(sims[i]!));
      }
      expect((await findingIndexNames(db.store)).sort()).toEqual(
        expect.arrayContaining(FINDING_SECONDARY_INDEXES.map((x) => x.name)),
      );
    }
  });
});
