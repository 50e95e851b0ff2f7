import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import pg from 'pg';
import { CompiledCamelCasePlugin } from './camel-case-rows.js';
import { configureSqlite } from './configure-sqlite.js';
import { PostgresFlatSqlDialect } from './flat-sql-compiler.js';
import { migrateToLatest } from './migrate.js';
import { withPreparedStatements } from './postgres-prepared-statements.js';
import { withReadBatches } from './read-batches.js';
import type { Database } from './schema.js';
import { dialectOf } from './sql-dialect.js';
import { SqliteStablePlansDialect } from './sqlite-stable-plans.js';
import { withStatementCache } from './sqlite-statement-cache.js';
import type { Store } from './store.js';
import { withStoreErrors } from './store-failure.js';

export interface OpenStoreOptions {
  /** Run pending migrations on open; default true. */
  migrate?: boolean;
  /**
   * Whether a database that does not exist yet is created; default true. When false, a missing SQLite
   * file, or a database without the schema, is refused with DatabaseMissingError.
   */
  create?: boolean;
  /**
   * PostgreSQL settings for this store's connections (`-c name=value` at connect); settings the
   * location's own `options` parameter gives take precedence. Ignored on SQLite.
   */
  postgresSettings?: Readonly<Record<string, string>>;
}

/** The database named does not exist (or holds no schema) and was not to be created. */
export class DatabaseMissingError extends Error {
  readonly code = 'database-missing' as const;
  constructor(
    message: string,
    /** `mdec`: creating mdec's database (or schema) fixes it; `server`: a PostgreSQL database must be created first. */
    readonly createdBy: 'mdec' | 'server' = 'mdec',
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The location is neither a file path nor a `postgres://` URL (`mysql://...`, `http://...`). */
export class DatabaseLocationError extends Error {
  readonly code = 'database-location' as const;
}

/** The PostgreSQL server cannot be reached or refuses the connection. */
export class DatabaseConnectError extends Error {
  readonly code = 'database-connect' as const;
}

/** Refuses a URL of a scheme the store does not speak; a plain path (or `C:\...`) is a SQLite file. */
export function checkDatabaseLocation(location: string): void {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1];
  if (scheme && dialectOf(location) !== 'postgres') {
    throw new DatabaseLocationError(
      `"${scheme}://" is not a database mdec can use; give a SQLite file path or a postgres:// URL`,
    );
  }
}

/** Opens SQLite (WAL mode) or PostgreSQL from a path or `postgres://` URL, and migrates it. */
export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<Store> {
  checkDatabaseLocation(location);
  const create = options.create ?? true;
  const dialect = dialectOf(location);
  let store: Store;
  if (dialect === 'sqlite') {
    const memory = location === ':memory:';
    const fresh = !memory && !existsSync(location);
    if (fresh && !create) throw new DatabaseMissingError(`no database at ${location}`);
    if (fresh) mkdirSync(dirname(location), { recursive: true });
    let sqlite: BetterSqlite3.Database;
    try {
      sqlite = new BetterSqlite3(location, { fileMustExist: !memory && !create });
      configureSqlite(sqlite);
    } catch (err) {
      throw new DatabaseConnectError(
        `cannot open the SQLite database ${location}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const db = new Kysely<Database>({
      dialect: withStoreErrors(new SqliteStablePlansDialect({ database: withStatementCache(sqlite) })),
      plugins: [new CompiledCamelCasePlugin()],
    });
    store = {
      db,
      dialect,
      engine: { kind: 'sqlite', sqlite },
      location,
      close: () => db.destroy(),
    };
  } else {
    const settings = Object.entries(options.postgresSettings ?? {});
    const pool = new pg.Pool({
      ...(settings.length > 0
        ? { options: settings.map(([name, value]) => `-c ${name}=${value}`).join(' ') }
        : {}),
      connectionString: location,
      max: 4,
      types: { getTypeParser },
    });
    // An idle connection the server drops (a restart, a failover) must not crash the process; the
    // pool replaces it on the next query.
    pool.on('error', () => {});
    const db = new Kysely<Database>({
      dialect: withStoreErrors(
        new PostgresFlatSqlDialect({ pool: withReadBatches(withPreparedStatements(pool)) as never }),
      ),
      plugins: [new CompiledCamelCasePlugin()],
    });
    store = {
      db,
      dialect,
      engine: { kind: 'postgres', pool },
      location: redactUrl(location),
      close: () => db.destroy(),
    };
    await checkConnection(store, location);
  }
  try {
    const hasSchema = await schemaExists(store);
    if (!hasSchema && !create) {
      throw new DatabaseMissingError(
        store.dialect === 'sqlite'
          ? `${location} holds no mdec database`
          : `the PostgreSQL database ${store.location} holds no mdec database`,
      );
    }
    store.created = !hasSchema;
    if (options.migrate ?? true) await migrateToLatest(store);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** Whether the store holds mdec's schema (its migrations table). */
async function schemaExists(store: Store): Promise<boolean> {
  const found =
    store.dialect === 'sqlite'
      ? await sql<{
          n: number;
        }>`select count(*) as n from sqlite_master where type = 'table' and name = 'schema_migrations'`.execute(
          store.db,
        )
      : await sql<{
          n: number;
        }>`select count(*)::int as n where to_regclass('schema_migrations') is not null`.execute(store.db);
  return Number(found.rows[0]?.n ?? 0) > 0;
}

/** A first query, so a server that cannot be reached is named as such, not as a failed migration. */
async function checkConnection(store: Store, url: string): Promise<void> {
  try {
    await sql`select 1`.execute(store.db);
  } catch (err) {
    await store.close().catch(() => {});
    const e = err as { code?: string; message?: string; errors?: Array<{ code?: string; message?: string }> };
    const at = serverOf(url);
    // 3D000: the database does not exist on the server; mdec creates schemas, never databases.
    if (e.code === '3D000') {
      throw new DatabaseMissingError(`${e.message} on the PostgreSQL server at ${at}`, 'server', {
        cause: err,
      });
    }
    const reason = e.message || e.code || e.errors?.map((x) => x.code ?? x.message).join(', ') || String(err);
    throw new DatabaseConnectError(`cannot connect to PostgreSQL at ${at} (${reason})`, { cause: err });
  }
}

/** `HOST:PORT` of a PostgreSQL URL, with libpq's defaults. */
function serverOf(url: string): string {
  try {
    const u = new URL(url);
    const host =
      decodeURIComponent(u.hostname) || u.searchParams.get('host') || process.env.PGHOST || 'localhost';
    return `${host}:${u.port || process.env.PGPORT || '5432'}`;
  } catch {
    return '(unparseable url)';
  }
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

/** PostgreSQL's `bigint` (type 20), which pg returns as text. */
const INT8_OID = 20;

/**
 * Column values as both databases give them: a `bigint` (ids, counts, milliseconds) is a number, as
 * SQLite returns it, while it is a safe integer; a larger one stays text rather than lose digits.
 */
function getTypeParser(oid: number, format?: 'text' | 'binary') {
  if (oid === INT8_OID && format !== 'binary') {
    return (value: string) => {
      const n = Number(value);
      return Number.isSafeInteger(n) ? n : value;
    };
  }
  return pg.types.getTypeParser(oid, format as 'text');
}
