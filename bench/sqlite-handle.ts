import type BetterSqlite3 from 'better-sqlite3';
import type { Store } from '../src/store/db/store.js';

/** The better-sqlite3 handle of a benchmark's store, which these benchmarks open on a SQLite file. */
export function sqliteHandleOf(store: Store): BetterSqlite3.Database {
  if (store.engine.kind !== 'sqlite') throw new Error('this benchmark runs on a SQLite store');
  return store.engine.sqlite;
}
