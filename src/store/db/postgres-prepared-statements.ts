import type pg from 'pg';

/** Reads a connection prepares on the server at most; past this it is replaced when next released. */
const PREPARED_PER_CONNECTION = 256;
/** Distinct reads a connection remembers having run once, to prepare them when they come back. */
const REMEMBERED_PER_CONNECTION = 1_024;

/** A read, which PostgreSQL can prepare once and execute again: one SELECT (or WITH ... SELECT). */
const READ = /^\s*(select|with)\b/i;

/** The part of a pooled connection Kysely's PostgreSQL driver uses. */
export interface DriverClient {
  query(text: string, values?: unknown[]): Promise<pg.QueryResult>;
  release(destroy?: boolean): void;
}

/** The pool Kysely's PostgreSQL driver takes. */
export interface DriverPool {
  connect(): Promise<DriverClient>;
  end(): Promise<void>;
}

/**
 * The pool Kysely queries PostgreSQL through, which runs a read that a connection has run before as
 * a statement prepared on the server (docs/architecture.md#prepared-statements). Sent unnamed, every
 * query is parsed and planned again; for a host's details, a dozen small reads, that was over a third
 * of the database server's work (docs/benchmarks.md#rest-api). PostgreSQL plans a prepared statement's
 * first five executions for their values and then keeps one plan for all values only when it costs
 * no more than those (its `plan_cache_mode`, which a location's `options` can set).
 *
 * A connection prepares at most {@link PREPARED_PER_CONNECTION} reads and is then closed when next
 * released, so that the pool opens a fresh one: pg gives no way to forget one prepared statement.
 * A read whose prepared form no longer fits the table (a migration by another process changed its
 * columns) closes the connection the same way and is run again unprepared, unless it was part of a
 * transaction, which the error has already aborted.
 */
export function withPreparedStatements(
  pool: pg.Pool,
  limits = { prepared: PREPARED_PER_CONNECTION, remembered: REMEMBERED_PER_CONNECTION },
): DriverPool {
  const clients = new WeakMap<pg.PoolClient, DriverClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let preparing = clients.get(client);
      if (!preparing) {
        preparing = preparingClient(client, limits);
        clients.set(client, preparing);
      }
      return preparing;
    },
    end: () => pool.end(),
  };
}

function preparingClient(
  client: pg.PoolClient,
  limits: { prepared: number; remembered: number },
): DriverClient {
  /** Prepared reads by SQL text: their statement names on this connection. */
  const prepared = new Map<string, string>();
  /** Reads run once and not prepared yet, most recently run last. */
  const ranOnce = new Set<string>();
  let inTransaction = false;
  let retire = false;

  const statementName = (text: string): string | undefined => {
    const known = prepared.get(text);
    if (known !== undefined || !READ.test(text)) return known;
    if (!ranOnce.delete(text)) {
      ranOnce.add(text);
      if (ranOnce.size > limits.remembered) ranOnce.delete(ranOnce.values().next().value!);
      return undefined;
    }
    if (prepared.size >= limits.prepared) {
      retire = true;
      return undefined;
    }
    const name = `mdec_${prepared.size + 1}`;
    prepared.set(text, name);
    return name;
  };

  return {
    async query(text, values = []) {
      if (TRANSACTION_START.test(text)) inTransaction = true;
      else if (TRANSACTION_END.test(text)) inTransaction = false;
      // A connection on its way out prepares nothing more, nor uses what it prepared.
      const name = retire ? undefined : statementName(text);
      if (name === undefined) return client.query(text, values);
      try {
        return await client.query({ name, text, values });
      } catch (err) {
        if (!planNoLongerFits(err)) throw err;
        retire = true;
        if (inTransaction) throw err;
        return client.query(text, values);
      }
    },
    release(destroy) {
      client.release(destroy === true || retire ? true : undefined);
    },
  };
}

const TRANSACTION_START = /^\s*(begin|start\s+transaction)\b/i;
// `rollback to savepoint` stays inside the transaction.
const TRANSACTION_END =
  /^\s*(commit|end|rollback)\s*(;\s*)?$|^\s*(commit|rollback)\s+(and|work|transaction)\b/i;

/** PostgreSQL's refusal of a prepared statement whose tables changed shape since it was prepared. */
function planNoLongerFits(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e.code === '0A000' && /cached plan must not change result type/.test(e.message ?? '');
}
