import { withDiskSorts } from '../db/disk-sorts.js';
import type { Store } from '../db/store.js';
import { createFindingIndexes, FINDING_SECONDARY_INDEXES, missingFindingIndexes } from './finding-indexes.js';
import { anyFindings } from './finding-repository.js';

/**
 * A first load of findings builds its randomly ordered indexes after the rows (docs/benchmarks.md#targets:
 * bulk loads). Only when the findings table is empty: then no query of any connector needs the index while
 * the load runs, and building it once costs a fraction of updating it 3 million times. Returns the
 * indexes dropped. The pass calls {@link ensureFindingIndexes} when it ends, however it ends; a
 * process killed in between leaves them missing until the next pass or the next open of the store
 * (migrateToLatest), so nothing depends on this pass finishing.
 */
export async function deferFindingIndexesForFirstLoad(store: Pick<Store, 'db'>): Promise<string[]> {
  if (await anyFindings(store.db)) return [];
  const db = store.db.withoutPlugins();
  const deferred: string[] = [];
  for (const index of FINDING_SECONDARY_INDEXES) {
    if (!index.deferredOnFirstLoad) continue;
    await db.schema.dropIndex(index.name).ifExists().execute();
    deferred.push(index.name);
  }
  return deferred;
}

/**
 * Builds whichever findings indexes are missing (deferred by a first load, perhaps one that was
 * killed) and returns their names. The catalog is read first: a DDL statement, even a no-op one,
 * would wait for another process's write transaction.
 */
export async function ensureFindingIndexes(
  store: Pick<Store, 'db' | 'dialect' | 'sqlite'>,
): Promise<string[]> {
  const db = store.db.withoutPlugins();
  const missing = await missingFindingIndexes(db, store.dialect);
  // Building an index sorts every row: spilled to a temp file, not held in memory (disk-sorts.ts).
  if (missing.length > 0) await withDiskSorts(store, () => createFindingIndexes(db));
  return missing;
}
