import type BetterSqlite3 from 'better-sqlite3';
import { forEngine, type Store } from './store.js';

/**
 * Runs set-based work whose GROUP BY sorts millions of rows with SQLite's sorter spilling to a temp
 * file instead of memory: the store opens with `temp_store = MEMORY` for fast small sorts, which
 * would hold a whole multi-million-row sort in RAM; on disk it takes no longer and memory stays flat
 * (docs/benchmarks.md). Restored afterwards; PostgreSQL spills by itself (work_mem), so no-op there.
 */
export async function withDiskSorts<T>(
  store: Pick<Store, 'engine'> | LegacySqliteHandle,
  work: () => Promise<T>,
): Promise<T> {
  if (!('engine' in store)) return store.sqlite ? sortingOnDisk(store.sqlite, work) : work();
  return forEngine(store.engine, {
    sqlite: (sqlite) => sortingOnDisk(sqlite, work),
    postgres: () => work(),
  });
}

/** @deprecated A caller that hands over only the SQLite handle; pass the store (its engine) instead. */
type LegacySqliteHandle = Pick<Store, 'sqlite'>;

async function sortingOnDisk<T>(sqlite: BetterSqlite3.Database, work: () => Promise<T>): Promise<T> {
  const previous = sqlite.pragma('temp_store', { simple: true });
  sqlite.pragma('temp_store = FILE');
  try {
    return await work();
  } finally {
    sqlite.pragma(`temp_store = ${Number(previous)}`);
  }
}
