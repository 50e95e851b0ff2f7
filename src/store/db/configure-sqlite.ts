import type BetterSqlite3 from 'better-sqlite3';

/** The settings every connection to the store's SQLite file uses, the writer thread's included. */
export function configureSqlite(sqlite: BetterSqlite3.Database): void {
  // WAL lets readers (exports, the web app) run while a sync writes; NORMAL sync is safe with WAL.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  // The sync's two connections (main and writer thread) and any reader wait for each other briefly.
  sqlite.pragma('busy_timeout = 10000');
  // 64 MB of page cache keeps the findings indexes' hot pages in memory during a large sync.
  sqlite.pragma('cache_size = -65536');
  sqlite.pragma('temp_store = MEMORY');
  // A checkpoint copies the WAL into the database and syncs both. Every 64 MB rather than SQLite's
  // default 4 MB, so that a large sync copies each hot index page once per stretch, not again and
  // again (docs/benchmarks.md).
  sqlite.pragma('wal_autocheckpoint = 16384');
  // ...and the WAL file shrinks back to that size after a checkpoint, rather than keeping its peak.
  sqlite.pragma('journal_size_limit = 67108864');
}
