import BetterSqlite3 from 'better-sqlite3';
import type {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  Dialect,
  DialectAdapter,
  Driver,
  Kysely,
  QueryCompiler,
  QueryResult,
  TransactionSettings,
} from 'kysely';
import pg from 'pg';
import type { SqlDialect } from './sql-dialect.js';

/**
 * A store error is a failure of the database itself (a damaged file, a full disk, a missing
 * privilege, a lost connection), as opposed to a failure of one MDE stream. It is never one stream's
 * problem: whatever a run does next would build on a store that does not hold what it wrote, so the
 * run stops, fails, and closes nothing.
 */

/** Set on errors raised by the database driver; the error keeps its class, message and code. */
const FROM_STORE = Symbol.for('mdec.store-error');

/** Marks an error as raised by the store. */
export function markStoreError<T>(err: T): T {
  if (err !== null && typeof err === 'object' && !(FROM_STORE in err))
    Object.defineProperty(err, FROM_STORE, { value: true, enumerable: false });
  return err;
}

/** The store error in `err` or its causes, if any. */
export function findStoreError(err: unknown): Error | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (
      FROM_STORE in current ||
      current instanceof BetterSqlite3.SqliteError ||
      current instanceof pg.DatabaseError ||
      current instanceof StoreFailure
    )
      return current;
    current = current.cause;
  }
  return undefined;
}

/** A run stopped by a store error: says which database failed and what to do about it. */
export class StoreFailure extends Error {
  readonly code = 'store-failure' as const;
  constructor(
    message: string,
    /** The database, by path or PostgreSQL host and name; never with a password. */
    readonly database: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The store error `err` as a {@link StoreFailure} naming the database and the fix. */
export function storeFailure(err: Error, store: { dialect: SqlDialect; location: string }): StoreFailure {
  if (err instanceof StoreFailure) return err;
  const database = databaseName(store);
  const code = errorCode(err);
  const detail = code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
  const advice =
    store.dialect === 'sqlite'
      ? sqliteAdvice(code, err.message, store.location)
      : postgresAdvice(code, err.message);
  return new StoreFailure(
    `the ${database} failed: ${detail}. ${advice} The run stopped here and closed nothing.`,
    database,
    { cause: err },
  );
}

/** The database of a store location for messages: a path, or PostgreSQL host, port and name. */
export function databaseName(store: { dialect: SqlDialect; location: string }): string {
  if (store.dialect === 'sqlite') return `SQLite database ${store.location}`;
  try {
    const url = new URL(store.location);
    const name = decodeURIComponent(url.pathname.replace(/^\//, '')) || '(default database)';
    return `PostgreSQL database "${name}" on ${url.hostname}:${url.port || '5432'}`;
  } catch {
    return 'PostgreSQL database';
  }
}

function errorCode(err: Error): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && code !== '' ? code : undefined;
}

function sqliteAdvice(code: string | undefined, message: string, path: string): string {
  const check = `Check it with: sqlite3 "${path}" "PRAGMA integrity_check"`;
  const c = code ?? '';
  if (c.startsWith('SQLITE_CORRUPT') || c === 'SQLITE_NOTADB' || /malformed|not a database/i.test(message))
    return `The file is damaged. ${check}, and restore it (with its key file) from a backup.`;
  if (c.startsWith('SQLITE_FULL')) return 'The disk is full: free some space, then sync again.';
  if (c.startsWith('SQLITE_BUSY') || c.startsWith('SQLITE_LOCKED'))
    return 'Another process kept it locked: let that process finish or stop it, then sync again.';
  if (c.startsWith('SQLITE_READONLY') || c.startsWith('SQLITE_PERM') || c.startsWith('SQLITE_CANTOPEN'))
    return 'It cannot be written: check the permissions of the file and of its folder.';
  if (c.startsWith('SQLITE_IOERR'))
    return `The disk reported an error. ${check}; if it reports damage, restore it from a backup.`;
  return `${check}; if it reports damage, restore it from a backup.`;
}

function postgresAdvice(code: string | undefined, message: string): string {
  const c = code ?? '';
  if (c === '42501')
    return 'Its user lacks a privilege on the tables of mdec: grant it back (the user should own them), then sync again.';
  if (c === '42P01' || c === '42703' || c === '42883')
    return 'A table or column mdec needs is missing: run `mdec migrate`, or restore the database from a backup.';
  if (c.startsWith('23'))
    return 'It refused a write on an integrity constraint: look for constraints or triggers added to the tables of mdec outside mdec.';
  if (c.startsWith('53')) return 'The server ran out of disk, memory or connections: check the server.';
  if (c === 'XX001' || c === 'XX002')
    return 'The server reports damaged data: check its log, and restore the database from a backup.';
  if (
    c.startsWith('08') ||
    c.startsWith('57P') ||
    /^E[A-Z]+$/.test(c) ||
    /connection|terminated|timeout/i.test(message)
  )
    return 'The connection to the server failed: check that it is running and reachable, then sync again.';
  return 'Check the PostgreSQL server log for the cause.';
}

/** A Kysely dialect whose driver marks every error it raises as a store error. */
export function withStoreErrors(inner: Dialect): Dialect {
  return {
    createAdapter: (): DialectAdapter => inner.createAdapter(),
    createQueryCompiler: (): QueryCompiler => inner.createQueryCompiler(),
    createIntrospector: (db: Kysely<unknown>): DatabaseIntrospector => inner.createIntrospector(db),
    createDriver: (): Driver => new MarkingDriver(inner.createDriver()),
  };
}

class MarkedConnection implements DatabaseConnection {
  constructor(readonly inner: DatabaseConnection) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    try {
      return await this.inner.executeQuery<R>(query);
    } catch (err) {
      throw markStoreError(err);
    }
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    try {
      yield* this.inner.streamQuery<R>(query, chunkSize);
    } catch (err) {
      throw markStoreError(err);
    }
  }
}

const unwrap = (c: DatabaseConnection) => (c instanceof MarkedConnection ? c.inner : c);

async function marked<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw markStoreError(err);
  }
}

class MarkingDriver implements Driver {
  constructor(private readonly inner: Driver) {}

  init(): Promise<void> {
    return marked(() => this.inner.init());
  }
  async acquireConnection(): Promise<DatabaseConnection> {
    return new MarkedConnection(await marked(() => this.inner.acquireConnection()));
  }
  beginTransaction(c: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return marked(() => this.inner.beginTransaction(unwrap(c), settings));
  }
  commitTransaction(c: DatabaseConnection): Promise<void> {
    return marked(() => this.inner.commitTransaction(unwrap(c)));
  }
  rollbackTransaction(c: DatabaseConnection): Promise<void> {
    return marked(() => this.inner.rollbackTransaction(unwrap(c)));
  }
  savepoint(c: DatabaseConnection, name: string, compile: QueryCompiler['compileQuery']): Promise<void> {
    return marked(async () => this.inner.savepoint?.(unwrap(c), name, compile));
  }
  rollbackToSavepoint(
    c: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    return marked(async () => this.inner.rollbackToSavepoint?.(unwrap(c), name, compile));
  }
  releaseSavepoint(
    c: DatabaseConnection,
    name: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    return marked(async () => this.inner.releaseSavepoint?.(unwrap(c), name, compile));
  }
  releaseConnection(c: DatabaseConnection): Promise<void> {
    return this.inner.releaseConnection(unwrap(c));
  }
  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}
