import { sql } from 'kysely';
import { withDiskSorts } from '../db/disk-sorts.js';
import { forEngine, type Store } from '../db/store.js';
import { createFindingIndexes, FINDING_SECONDARY_INDEXES, missingFindingIndexes } from './finding-indexes.js';
import { anyFindings } from './finding-repository.js';

type IndexStore = Pick<Store, 'db' | 'dialect' | 'engine'>;

/**
 * The key of the PostgreSQL advisory lock that the findings index DDL of every connector and process
 * takes: two first loads (or a first load and a store opening) must not drop or create the same index
 * at once, which PostgreSQL answers with a duplicate-name or missing-index error. Any fixed number
 * mdec uses for nothing else.
 */
const FINDING_INDEX_DDL_LOCK = 4_242_009_016;

/**
 * Runs the findings index DDL one caller at a time across connections: on PostgreSQL in a transaction
 * holding a transaction-level advisory lock (released by its commit or rollback, so a killed process
 * never leaves it held); SQLite already lets one writer at a time in.
 */
async function serializedIndexDdl<T>(
  store: IndexStore,
  ddl: (db: IndexStore['db']) => Promise<T>,
): Promise<T> {
  return forEngine(store.engine, {
    sqlite: () => ddl(store.db),
    postgres: () =>
      store.db.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(${FINDING_INDEX_DDL_LOCK})`.execute(trx);
        return ddl(trx);
      }),
  });
}

/**
 * A first load of findings builds its randomly ordered indexes after the rows (docs/benchmarks.md#targets:
 * bulk loads). Only when the findings table is empty: then no query of any connector needs the index while
 * the load runs, and building it once costs a fraction of updating it 3 million times. Returns the
 * indexes dropped. The pass calls {@link ensureFindingIndexes} when it ends, however it ends; a
 * process killed in between leaves them missing until the next pass or the next open of the store
 * (migrateToLatest), so nothing depends on this pass finishing. The emptiness check and the drop
 * run under the index DDL lock, so another connector's first load or index build waits for them.
 */
export async function deferFindingIndexesForFirstLoad(store: IndexStore): Promise<string[]> {
  if (await anyFindings(store.db)) return [];
  return serializedIndexDdl(store, async (db) => {
    if (await anyFindings(db)) return [];
    const deferred: string[] = [];
    for (const index of FINDING_SECONDARY_INDEXES) {
      if (!index.deferredOnFirstLoad) continue;
      await db.withoutPlugins().schema.dropIndex(index.name).ifExists().execute();
      deferred.push(index.name);
    }
    return deferred;
  });
}

/**
 * Builds whichever findings indexes are missing (deferred by a first load, perhaps one that was
 * killed) and returns their names. The catalog is read first, without a lock: a DDL statement, even a
 * no-op one, would wait for another process's write transaction. Missing ones are built under the
 * index DDL lock, after reading the catalog again (another caller may have built them meanwhile).
 */
export async function ensureFindingIndexes(store: IndexStore): Promise<string[]> {
  const missing = await missingFindingIndexes(store.db.withoutPlugins(), store.dialect);
  if (missing.length === 0) return missing;
  // Building an index sorts every row: spilled to a temp file, not held in memory (disk-sorts.ts).
  await withDiskSorts(store, () =>
    serializedIndexDdl(store, async (db) => {
      const raw = db.withoutPlugins();
      if ((await missingFindingIndexes(raw, store.dialect)).length > 0) await createFindingIndexes(raw);
    }),
  );
  return missing;
}
