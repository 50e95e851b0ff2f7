import type { Worker } from 'node:worker_threads';
import type { NormalizedFinding } from '../normalize/model.js';
import {
  type Checkpoint,
  dedupeFindings,
  type FindingBatchContext,
  type FindingWriter,
  type SnapshotBatchResult,
} from './finding-writer.js';
import type { HostWriter } from './host-writer.js';
import type { Store } from './open-store.js';
import { decodeRows, encodeRows, type SnapshotRow, toSnapshotRow } from './snapshot-row-codec.js';
import type { SnapshotWorkerReply, SnapshotWorkerRequest } from './snapshot-worker-messages.js';
import { SqliteSnapshotWriter } from './sqlite-snapshot-writer.js';
import { startWorkerThread } from './start-worker-thread.js';

/** One batch of a full snapshot: its findings, the devices it had rows for, the checkpoint after it. */
export interface SnapshotBatch {
  findings: NormalizedFinding[];
  scanned: Iterable<string>;
  checkpoint: Checkpoint;
  /** ISO time of this write (the rows' updated_at). */
  at: string;
}

/**
 * Writes the batches of one full pass (design.md 5). Each batch, the devices it marks scanned and its
 * checkpoint are stored in one transaction, in order; `onWritten` runs once a batch is stored.
 */
export interface SnapshotSession {
  /** Queues a batch; resolves once another can be queued (at most two are in flight). */
  write(batch: SnapshotBatch, onWritten: (result: SnapshotBatchResult) => void): Promise<void>;
  /** Waits until every queued batch is stored; throws the first failure. */
  drain(): Promise<void>;
  /** Drains and releases the writer thread, if any. */
  close(): Promise<void>;
}

/** Batches queued beyond the one being stored: one, so parsing the next overlaps writing this one. */
const MAX_IN_FLIGHT = 2;

/**
 * The session for a store: on a SQLite file, a writer thread with its own connection stores batches
 * while the caller parses the next (design.md 7); `MDEC_SNAPSHOT_WORKER=0` or an in-memory database
 * stores them inline with the same writer. PostgreSQL runs in its own process already: batches go
 * through the portable writer in turn.
 */
export function openSnapshotSession(
  store: Store,
  findings: FindingWriter,
  hosts: HostWriter,
  ctx: FindingBatchContext,
  snapshotTime: string,
): SnapshotSession {
  if (!store.sqlite) return new PortableSession(findings, hosts, ctx, snapshotTime);
  const file = store.sqlite.name;
  if (file === ':memory:' || file === '' || process.env.MDEC_SNAPSHOT_WORKER === '0')
    return new InlineSqliteSession(new SqliteSnapshotWriter(store.sqlite), ctx, snapshotTime);
  return new WorkerSqliteSession(file, ctx, snapshotTime);
}

function rowsOf(ctx: FindingBatchContext, findings: NormalizedFinding[]): SnapshotRow[] {
  return dedupeFindings(findings).map((f) => toSnapshotRow(f, ctx.hostIdOf(f.machineId)));
}

class PortableSession implements SnapshotSession {
  constructor(
    private readonly findings: FindingWriter,
    private readonly hosts: HostWriter,
    private readonly ctx: FindingBatchContext,
    private readonly snapshotTime: string,
  ) {}

  async write(batch: SnapshotBatch, onWritten: (result: SnapshotBatchResult) => void): Promise<void> {
    await this.hosts.markScanned(this.ctx.connectorId, this.ctx.seenToken, batch.scanned);
    onWritten(
      await this.findings.writeSnapshotBatch(
        { ...this.ctx, at: batch.at },
        batch.findings,
        this.snapshotTime,
        batch.checkpoint,
      ),
    );
  }

  async drain(): Promise<void> {}
  async close(): Promise<void> {}
}

class InlineSqliteSession implements SnapshotSession {
  constructor(
    private readonly writer: SqliteSnapshotWriter,
    private readonly ctx: FindingBatchContext,
    private readonly snapshotTime: string,
  ) {}

  async write(batch: SnapshotBatch, onWritten: (result: SnapshotBatchResult) => void): Promise<void> {
    // Through the codec as the writer thread would see it, so both paths store the same values.
    const rows = decodeRows(encodeRows(rowsOf(this.ctx, batch.findings)));
    onWritten(
      this.writer.write(
        { connectorId: this.ctx.connectorId, seenToken: this.ctx.seenToken, at: batch.at },
        rows,
        [...batch.scanned],
        this.snapshotTime,
        batch.checkpoint,
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

class WorkerSqliteSession implements SnapshotSession {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: Error | undefined;
  private closed = false;

  constructor(
    file: string,
    private readonly ctx: FindingBatchContext,
    private readonly snapshotTime: string,
  ) {
    this.worker = startWorkerThread(import.meta.url, 'sqlite-snapshot-worker', { path: file });
    this.worker.on('message', (reply: SnapshotWorkerReply) => this.settle(reply));
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`the snapshot writer thread stopped (exit code ${code})`));
    });
  }

  async write(batch: SnapshotBatch, onWritten: (result: SnapshotBatchResult) => void): Promise<void> {
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    const request: SnapshotWorkerRequest = {
      id,
      ctx: { connectorId: this.ctx.connectorId, seenToken: this.ctx.seenToken, at: batch.at },
      rows: encodeRows(rowsOf(this.ctx, batch.findings)),
      scanned: [...batch.scanned],
      snapshotTime: this.snapshotTime,
      checkpoint: batch.checkpoint,
    };
    let resolve!: () => void;
    let reject!: (err: Error) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A failure is reported by the next write or drain; an unobserved rejection must not crash.
    done.catch(() => {});
    this.pending.set(id, { resolve, reject, onWritten, done });
    this.worker.postMessage(request);
    while (this.pending.size >= MAX_IN_FLIGHT) {
      await this.pending.values().next().value!.done;
    }
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
      this.fail(new Error(`storing findings failed: ${reply.message}`));
      p.reject(this.failure!);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }
}
