import type { Worker } from 'node:worker_threads';
import type pg from 'pg';
import type { NormalizedFinding } from '../../normalize/model.js';
import { inPostgresTransaction } from '../db/postgres-client-transaction.js';
import { forEngine, type Store } from '../db/store.js';
import { markStoreError } from '../db/store-failure.js';
import type { HostWriter } from '../hosts/host-writer.js';
import { CheckpointRepository } from '../runs/checkpoint-repository.js';
import type { FindingBatchContext, SnapshotBatchResult } from './finding-batch.js';
import type { Checkpoint } from './finding-writer.js';
import { PlannerStatistics, writeSnapshotBatchOnPostgres } from './postgres-snapshot-writer.js';
import { decodeRows, EncodedRowBuffer, FindingEncoder } from './snapshot-row-codec.js';
import type { SnapshotWorkerReply, SnapshotWorkerRequest } from './snapshot-worker-messages.js';
import { type SnapshotWriteContext, SqliteSnapshotWriter } from './sqlite-snapshot-writer.js';
import { startWorkerThread } from './start-worker-thread.js';

/** What closes a batch: the devices it had rows for, the checkpoint after it, the time of the write. */
export interface SnapshotBatchEnd {
  scanned: Iterable<string>;
  checkpoint: Checkpoint;
  /** ISO time of this write (the rows' updated_at). */
  at: string;
}

/**
 * Writes the batches of one full pass (docs/sync.md#vulnerabilities-full). Findings are added one by one and
 * turned at once into their compact stored form, so a batch of 10,000 holds 10,000 strings rather than 10,000
 * object graphs for the garbage collector to trace (docs/benchmarks.md#targets). Each batch, the devices it
 * marks scanned and its checkpoint are stored in one transaction, in order; `onWritten` runs once it is.
 * Within a batch a repeated finding key is stored once; the last row wins.
 */
export interface SnapshotSession {
  add(finding: NormalizedFinding): void;
  /** Findings added since the last flush. */
  readonly size: number;
  /** Sends the findings added so far; resolves once another batch can be gathered (two in flight). */
  flush(end: SnapshotBatchEnd, onWritten: (result: SnapshotBatchResult) => void): Promise<void>;
  /** Forgets the findings added since the last flush (their file is read again or given up). */
  discard(): void;
  /** Waits until every batch sent is stored; throws the first failure. */
  drain(): Promise<void>;
  /** Drains and releases the writer thread, if any. */
  close(): Promise<void>;
}

/** Batches sent and not yet stored: two, so parsing the next overlaps storing the last. */
const MAX_IN_FLIGHT = 2;

/**
 * The session for a store: on a SQLite file, a writer thread with its own connection stores batches
 * while the caller parses the next (docs/benchmarks.md#targets); `MDEC_SNAPSHOT_WORKER=0` or an in-memory
 * database stores them inline with the same writer. PostgreSQL runs in its own process already: batches go
 * through the portable writer, one stored while the next is parsed.
 */
export function openSnapshotSession(
  store: Store,
  hosts: HostWriter,
  ctx: FindingBatchContext,
  snapshotTime: string,
): SnapshotSession {
  return forEngine<SnapshotSession>(store.engine, {
    sqlite: (sqlite) => {
      const file = sqlite.name;
      if (file === ':memory:' || file === '' || process.env.MDEC_SNAPSHOT_WORKER === '0')
        return new InlineSqliteSession(new SqliteSnapshotWriter(sqlite), ctx, snapshotTime);
      // The writer thread brings a page cache of its own; the main connection's, filled by the machines
      // stream, is not needed while it writes (peak memory: docs/benchmarks.md#targets).
      sqlite.pragma('shrink_memory');
      return new WorkerSqliteSession(file, ctx, snapshotTime);
    },
    postgres: (pool) => new PostgresSession(pool, hosts, ctx, snapshotTime),
  });
}

/**
 * PostgreSQL runs in its own process: while it stores one batch, this process parses the next. One
 * batch waits on the database at a time, so batches and their checkpoints are stored in order.
 */
class PostgresSession implements SnapshotSession {
  private batch: NormalizedFinding[] = [];
  private inFlight: Promise<void> | undefined;
  private readonly statistics = new PlannerStatistics();

  constructor(
    private readonly pool: pg.Pool,
    private readonly hosts: HostWriter,
    private readonly ctx: FindingBatchContext,
    private readonly snapshotTime: string,
  ) {}

  get size() {
    return this.batch.length;
  }

  add(finding: NormalizedFinding): void {
    this.batch.push(finding);
  }

  discard(): void {
    this.batch = [];
  }

  async flush(end: SnapshotBatchEnd, onWritten: (result: SnapshotBatchResult) => void): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    // The previous batch first: its failure stops this one, as the worker session's does.
    await this.drain();
    const write = async () => {
      await this.hosts.markScanned(this.ctx.connectorId, this.ctx.seenToken, end.scanned);
      const ctx = { ...this.ctx, at: end.at };
      const rows = dedupeFindings(batch);
      onWritten(
        await inPostgresTransaction(this.pool, async (client, trx) => {
          const result = await writeSnapshotBatchOnPostgres(
            client,
            ctx,
            rows,
            this.snapshotTime,
            this.statistics,
          );
          await CheckpointRepository.put(
            trx,
            ctx.connectorId,
            end.checkpoint.stream,
            end.checkpoint.value,
            ctx.at,
          );
          return result;
        }),
      );
    };
    this.inFlight = write();
    // Reported by the next flush or drain; an unobserved rejection must not end the process.
    this.inFlight.catch(() => {});
  }

  async drain(): Promise<void> {
    const pending = this.inFlight;
    this.inFlight = undefined;
    await pending;
  }

  async close(): Promise<void> {
    await this.drain();
  }
}

/** Rows encoded as they come, the common part of the two SQLite sessions. */
abstract class EncodingSession {
  private readonly lines = new EncodedRowBuffer();
  private readonly encoder = new FindingEncoder();

  constructor(protected readonly ctx: FindingBatchContext) {}

  get size() {
    return this.lines.size;
  }

  add(f: NormalizedFinding): void {
    this.lines.add(this.encoder.encode(f, this.ctx.hostIdOf(f.machineId)));
  }

  discard(): void {
    this.lines.clear();
  }

  protected takeRows(): string {
    return this.lines.take();
  }

  /** What the writer needs of the batch context: plain data, so it can cross to the thread. */
  protected writeContext(at: string): SnapshotWriteContext {
    const { connectorId, seenToken, firstLoad } = this.ctx;
    return { connectorId, seenToken, at, firstLoad: firstLoad === true };
  }
}

class InlineSqliteSession extends EncodingSession implements SnapshotSession {
  constructor(
    private readonly writer: SqliteSnapshotWriter,
    ctx: FindingBatchContext,
    private readonly snapshotTime: string,
  ) {
    super(ctx);
  }

  async flush(end: SnapshotBatchEnd, onWritten: (result: SnapshotBatchResult) => void): Promise<void> {
    // Through the codec as the writer thread would see it, so both paths store the same values.
    onWritten(
      this.writer.write(
        this.writeContext(end.at),
        decodeRows(this.takeRows()),
        [...end.scanned],
        this.snapshotTime,
        end.checkpoint,
      ),
    );
  }

  async drain(): Promise<void> {}
  async close(): Promise<void> {}
}

interface Pending {
  resolve(): void;
  reject(err: Error): void;
  onWritten(result: SnapshotBatchResult): void;
  done: Promise<void>;
}

class WorkerSqliteSession extends EncodingSession implements SnapshotSession {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | undefined;
  private closed = false;

  constructor(
    file: string,
    ctx: FindingBatchContext,
    private readonly snapshotTime: string,
  ) {
    super(ctx);
    // The thread keeps one batch string and one row alive at a time: a small young generation is
    // enough, and V8's default (tens of megabytes) would count against peak memory
    // (docs/benchmarks.md#targets).
    this.worker = startWorkerThread(
      import.meta.url,
      'sqlite-snapshot-worker',
      { path: file },
      { maxYoungGenerationSizeMb: 8 },
    );
    this.worker.on('message', (reply: SnapshotWorkerReply) => this.settle(reply));
    // The thread opening a damaged file fails here, its SQLite code carried over.
    this.worker.on('error', (err) =>
      this.fail(/^SQLITE_/.test(String((err as { code?: unknown }).code)) ? markStoreError(err) : err),
    );
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`the snapshot writer thread stopped (exit code ${code})`));
    });
  }

  async flush(end: SnapshotBatchEnd, onWritten: (result: SnapshotBatchResult) => void): Promise<void> {
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    const request: SnapshotWorkerRequest = {
      id,
      ctx: this.writeContext(end.at),
      rows: this.takeRows(),
      scanned: [...end.scanned],
      snapshotTime: this.snapshotTime,
      checkpoint: end.checkpoint,
    };
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A failure is reported by the next flush or drain; an unobserved rejection must not crash.
    done.catch(() => {});
    this.pending.set(id, { resolve, reject, onWritten, done });
    this.worker.postMessage(request);
    while (this.pending.size >= MAX_IN_FLIGHT) await this.pending.values().next().value!.done;
    if (this.failure) throw this.failure;
  }

  async drain(): Promise<void> {
    for (const p of [...this.pending.values()]) await p.done;
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    try {
      await this.drain();
    } finally {
      this.closed = true;
      await this.worker.terminate();
    }
  }

  private settle(reply: SnapshotWorkerReply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (reply.ok) {
      p.onWritten(reply.result);
      p.resolve();
    } else {
      const err = new Error(`storing findings failed: ${reply.message}`);
      if (reply.sqliteCode) markStoreError(Object.assign(err, { code: reply.sqliteCode }));
      this.fail(err);
      p.reject(this.failure!);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }
}

/** The last finding of each key: an export may repeat a row, and a key is stored once. */
function dedupeFindings(findings: NormalizedFinding[]): NormalizedFinding[] {
  const byKey = new Map<string, NormalizedFinding>();
  for (const f of findings) byKey.set(f.findingKey, f);
  return byKey.size === findings.length ? findings : [...byKey.values()];
}
