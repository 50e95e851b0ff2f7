import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import type { Database } from './schema.js';
import type { SqlDialect } from './sql-dialect.js';

/** The SQLite engine: the better-sqlite3 handle, for prepared statements on hot paths. */
export interface SqliteEngine {
  readonly kind: 'sqlite';
  readonly sqlite: BetterSqlite3.Database;
}

/** The PostgreSQL engine: the connection pool, for what Kysely cannot send (COPY). */
export interface PostgresEngine {
  readonly kind: 'postgres';
  readonly pool: pg.Pool;
}

/**
 * The database under a store, known once when the store opens (docs/architecture.md#store-engines):
 * code that writes differently per database picks its implementation from it once, with
 * {@link forEngine}, rather than asking which database it runs on at every write.
 */
export type StoreEngine = SqliteEngine | PostgresEngine;

/** An open store: the typed query builder plus the engine underneath, for hot paths. */
export interface Store {
  db: Kysely<Database>;
  dialect: SqlDialect;
  /** The database underneath; `engine.kind` always equals `dialect`. */
  engine: StoreEngine;
  /** Where the data lives, with any password removed, for messages. */
  location: string;
  /**
   * @deprecated Use `engine` (a SqliteEngine's `sqlite`), through {@link forEngine}. Kept while the
   * findings and derive code still read it; absent on PostgreSQL.
   */
  sqlite?: BetterSqlite3.Database;
  /**
   * @deprecated Use `engine` (a PostgresEngine's `pool`), through {@link forEngine}. Kept while the
   * findings code still reads it; absent on SQLite.
   */
  pg?: pg.Pool;
  /** True when this open created the database (a new SQLite file, or the schema in an empty PostgreSQL database). */
  created?: boolean;
  close(): Promise<void>;
}

/** One implementation of something per database, each built from its engine's handle. */
export interface PerEngine<T> {
  sqlite(sqlite: BetterSqlite3.Database): T;
  postgres(pool: pg.Pool): T;
}

/**
 * Builds the implementation for the store's database: the one place a writer branches on the
 * database, at construction; what it returns never asks again.
 */
export function forEngine<T>(engine: StoreEngine, implementations: PerEngine<T>): T {
  return engine.kind === 'sqlite'
    ? implementations.sqlite(engine.sqlite)
    : implementations.postgres(engine.pool);
}
