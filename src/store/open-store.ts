import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { CamelCasePlugin, Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import pg from 'pg';
import { configureSqlite } from './configure-sqlite.js';
import { migrateToLatest } from './migrate.js';
import type { Database } from './schema.js';
import { dialectOf, type SqlDialect } from './sql-dialect.js';
import { withStoreErrors } from './store-failure.js';

/** An open store: the typed query builder plus, for SQLite, the raw handle for hot paths. */
export interface Store {
  db: Kysely<Database>;
  dialect: SqlDialect;
  /** Where the data lives, with any password removed, for messages. */
  location: string;
  /** The better-sqlite3 handle, for prepared statements in bulk writes; absent on PostgreSQL. */
  sqlite?: BetterSqlite3.Database;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** Run pending migrations on open (design.md: "run on start"); default true. */
  migrate?: boolean;
}

/** Opens SQLite (WAL mode) or PostgreSQL from a path or `postgres://` URL, and migrates it. */
export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<Store> {
  const dialect = dialectOf(location);
  let store: Store;
  if (dialect === 'sqlite') {
    if (location !== ':memory:') mkdirSync(dirname(location), { recursive: true });
    const sqlite = new BetterSqlite3(location);
    configureSqlite(sqlite);
    const db = new Kysely<Database>({
      dialect: withStoreErrors(new SqliteDialect({ database: sqlite })),
      plugins: [new CamelCasePlugin()],
    });
    store = { db, dialect, location, sqlite, close: () => db.destroy() };
  } else {
    const pool = new pg.Pool({ connectionString: location, max: 4 });
    // An idle connection the server drops (a restart, a failover) must not crash the process; the
    // pool replaces it on the next query.
    pool.on('error', () => {});
    const db = new Kysely<Database>({
      dialect: withStoreErrors(new PostgresDialect({ pool })),
      plugins: [new CamelCasePlugin()],
    });
    store = { db, dialect, location: redactUrl(location), close: () => db.destroy() };
  }
  if (options.migrate ?? true) await migrateToLatest(store);
  return store;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}
