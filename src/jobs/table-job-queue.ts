import { randomUUID } from 'node:crypto';
import type { Store } from '../store/db/store.js';
import type { ClaimedRun, JobQueue, QueuedRun, QueueTiming } from './job-queue.js';
import type { Clock } from './scheduler-clock.js';

/**
 * The job queue as a table of the store itself (the SQLite store's queue): any process that opens
 * the database reaches the worker. A claim is one conditional update, so two workers never hold the
 * same run; a hold whose worker stopped renewing it expires and the run is due again.
 */
export class TableJobQueue implements JobQueue {
  private readonly worker = randomUUID();

  constructor(
    private readonly store: Store,
    private readonly timing: QueueTiming,
    private readonly clock: Clock,
  ) {}

  async enqueue(run: QueuedRun, options: { after?: Date } = {}): Promise<void> {
    const now = this.clock.now().toISOString();
    await this.store.db
      .insertInto('jobQueue')
      .values({
        runId: run.runId,
        connectorId: run.connectorId,
        runAfter: (options.after ?? this.clock.now()).toISOString(),
        lockedBy: null,
        lockedUntil: null,
        createdAt: now,
      })
      .execute();
  }

  async claim(): Promise<ClaimedRun | undefined> {
    const now = this.clock.now();
    const stamp = now.toISOString();
    const until = new Date(now.getTime() + this.timing.leaseMs).toISOString();
    for (let attempt = 0; attempt < 5; attempt++) {
      const next = await this.store.db
        .selectFrom('jobQueue')
        .select(['id', 'lockedUntil'])
        .where('runAfter', '<=', stamp)
        .where((eb) => eb.or([eb('lockedUntil', 'is', null), eb('lockedUntil', '<=', stamp)]))
        .orderBy('runAfter')
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      if (!next) return undefined;
      // Taken only if nobody took it since it was read.
      const row = await this.store.db
        .updateTable('jobQueue')
        .set({ lockedBy: this.worker, lockedUntil: until })
        .where('id', '=', next.id)
        .where((eb) =>
          next.lockedUntil === null
            ? eb('lockedUntil', 'is', null)
            : eb('lockedUntil', '=', next.lockedUntil),
        )
        .returning(['id', 'runId', 'connectorId'])
        .executeTakeFirst();
      if (row)
        return { jobId: String(row.id), runId: Number(row.runId), connectorId: Number(row.connectorId) };
    }
    return undefined;
  }

  async extend(job: ClaimedRun): Promise<void> {
    const until = new Date(this.clock.now().getTime() + this.timing.leaseMs).toISOString();
    await this.store.db
      .updateTable('jobQueue')
      .set({ lockedUntil: until })
      .where('id', '=', Number(job.jobId))
      .where('lockedBy', '=', this.worker)
      .execute();
  }

  async complete(job: ClaimedRun): Promise<void> {
    await this.store.db.deleteFrom('jobQueue').where('id', '=', Number(job.jobId)).execute();
  }

  async release(job: ClaimedRun, after?: Date): Promise<void> {
    await this.store.db
      .updateTable('jobQueue')
      .set({
        lockedBy: null,
        lockedUntil: null,
        runAfter: (after ?? this.clock.now()).toISOString(),
      })
      .where('id', '=', Number(job.jobId))
      .where('lockedBy', '=', this.worker)
      .execute();
  }

  async remove(runId: number): Promise<boolean> {
    const stamp = this.clock.now().toISOString();
    const r = await this.store.db
      .deleteFrom('jobQueue')
      .where('runId', '=', runId)
      .where((eb) => eb.or([eb('lockedUntil', 'is', null), eb('lockedUntil', '<=', stamp)]))
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async close(): Promise<void> {}
}
