import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import type { DriverClient, DriverPool } from './postgres-prepared-statements.js';

/** A read, which can go into a batch: one SELECT (or WITH ... SELECT). */
const READ = /^\s*(select|with)\b/i;

interface QueuedRead {
  text: string;
  values: readonly unknown[];
  resolve(result: pg.QueryResult): void;
  reject(err: unknown): void;
}

/** The reads of one `inReadBatch` issued since its last round trip, by the pool they go through. */
class ReadBatch {
  private readonly queued = new Map<DriverPool, QueuedRead[]>();
  private readonly clients = new Map<DriverPool, DriverClient>();

  /** The way into this batch for reads through `pool`: it holds none of the pool's connections. */
  clientFor(pool: DriverPool): DriverClient {
    let client = this.clients.get(pool);
    if (!client) {
      client = {
        query: (text, values) =>
          READ.test(text)
            ? this.add(pool, text, values ?? [])
            : Promise.reject(new Error('only reads may run inside a read batch')),
        release: () => {},
      };
      this.clients.set(pool, client);
    }
    return client;
  }

  add(pool: DriverPool, text: string, values: readonly unknown[]): Promise<pg.QueryResult> {
    return new Promise((resolve, reject) => {
      let reads = this.queued.get(pool);
      if (!reads) {
        reads = [];
        this.queued.set(pool, reads);
        // Every read issued before the event loop turns joins this round trip: the reads a
        // `Promise.all` starts, and those issued after awaits of values already at hand.
        setImmediate(() => {
          this.queued.delete(pool);
          void runTogether(pool, reads!);
        });
      }
      reads.push({ text, values, resolve, reject });
    });
  }
}

const current = new AsyncLocalStorage<ReadBatch>();

/**
 * Runs `work` with its PostgreSQL reads batched (docs/architecture.md#read-batches): the reads it
 * issues together (within one turn of the event loop) reach the database server as one statement,
 * one round trip, and each gets the rows it would have got alone. On this kind of machine a round
 * trip to the database costs more CPU than a small read itself. Only reads may be issued inside;
 * anything else is refused. On SQLite, where a read is a function call, it changes nothing.
 */
export function inReadBatch<T>(work: () => Promise<T>): Promise<T> {
  return current.run(new ReadBatch(), work);
}

/**
 * The pool Kysely's PostgreSQL driver takes, whose connections, inside {@link inReadBatch}, hand
 * their reads to the batch instead of the database.
 */
export function withReadBatches(pool: DriverPool): DriverPool {
  return {
    async connect() {
      const batch = current.getStore();
      return batch ? batch.clientFor(pool) : pool.connect();
    },
    end: () => pool.end(),
  };
}

/**
 * One round trip for the reads queued together: a single read runs as it is; several run as one
 * SELECT with a column per read holding its rows as JSON (`json_agg` of the read as a subquery, in
 * its order), which the store's column types (text, integers, floating point) survive unchanged: a
 * float's JSON is the same shortest form as its text. Each read gets its rows, with the column names
 * the database gave them, as from a query of its own. A failure fails every read of the trip.
 */
async function runTogether(pool: DriverPool, reads: QueuedRead[]): Promise<void> {
  let client: DriverClient | undefined;
  try {
    client = await pool.connect();
    if (reads.length === 1) {
      const read = reads[0]!;
      read.resolve(await client.query(read.text, [...read.values]));
      return;
    }
    const columns: string[] = [];
    const values: unknown[] = [];
    reads.forEach((read, i) => {
      columns.push(
        `(select coalesce(json_agg(mdec_batch_row), '[]')::text from (${renumbered(read.text, values.length)}) as mdec_batch_row) as r${i}`,
      );
      values.push(...read.values);
    });
    const result = await client.query(`select ${columns.join(', ')}`, values);
    const row = result.rows[0] as Record<string, string>;
    reads.forEach((read, i) => {
      const rows = JSON.parse(row[`r${i}`]!) as Record<string, unknown>[];
      read.resolve({ command: 'SELECT', rowCount: rows.length, rows, fields: [], oid: 0 });
    });
  } catch (err) {
    for (const read of reads) read.reject(err);
  } finally {
    client?.release();
  }
}

/** Renumbered reads by text and offset: the same few reads come back in every batch. */
const renumberings = new Map<string, Map<number, string>>();
const MAX_RENUMBERED = 1_000;

function renumbered(text: string, offset: number): string {
  let byOffset = renumberings.get(text);
  if (!byOffset) {
    if (renumberings.size >= MAX_RENUMBERED) renumberings.clear();
    byOffset = new Map();
    renumberings.set(text, byOffset);
  }
  let sql = byOffset.get(offset);
  if (sql === undefined) {
    sql = renumberParameters(text, offset);
    byOffset.set(offset, sql);
  }
  return sql;
}

/**
 * The SQL with each `$n` parameter moved up by `offset`; string literals and quoted names are left as
 * they are.
 */
export function renumberParameters(text: string, offset: number): string {
  if (offset === 0) return text;
  return text.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\$(\d+)/g, (match, n: string | undefined) =>
    n === undefined ? match : `$${Number(n) + offset}`,
  );
}
