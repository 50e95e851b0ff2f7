import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Database } from './schema.js';
import type { SqlDialect } from './sql-dialect.js';

/** An open store: the typed query builder plus, for SQLite, the raw handle for hot paths. */
export interface Store {
  db: Kysely<Database>;
  dialect: SqlDialect;
  /** Where the data lives, with any password removed, for messages. */
  location: string;
  /** The better-sqlite3 handle, for prepared statements in bulk writes; absent on PostgreSQL. */
  sqlite?: BetterSqlite3.Database;
  /** The PostgreSQL connection pool, for what Kysely cannot send (COPY); absent on SQLite. */
  pg?: pg.Pool;
  /** True when this open created the database (a new SQLite file, or the schema in an empty PostgreSQL database). */
  created?: boolean;
  close(): Promise<void>;
}
