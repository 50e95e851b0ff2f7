import { randomUUID } from 'node:crypto';
import { databaseTime } from '../store/db/database-time.js';
import type { Store } from '../store/db/store.js';
import type { ClaimedRun, JobQueue, QueuedRun, QueueTiming } from './job-queue.js';
import type { Clock } from './scheduler-clock.js';

/**
 * The job queue as a table of the store itself (the SQLite store's queue): any process that opens
 * the database reaches the worker. A claim is one conditional update, so two workers never hold the
 * same run; a hold whose worker stopped renewing it expires and the run is due again.
 *
 * Every time the queue stamps or compares (when a run is due, until when a hold lasts) is the
 * database's (database-time.ts), as for sync leases: processes whose clocks disagree still agree on
 * whether a run is due and whether a hold has expired. A caller's `after` is a moment by its own
 * clock; the queue keeps the wait it means (`after` minus the caller's now), counted from the
 * database's now.
 */
export class TableJobQueue implements JobQueue {
  private readonly worker = randomUUID();

  constructor(
    private readonly store: Store,
    private readonly timing: QueueTiming,
    private readonly clock: Clock,
  ) {}

  /** The database's now, `offsetMs` ahead. */
  private now(offsetMs = 0) {
    return databaseTime(this.store.dialect, offsetMs);
  }

  /** The database's time at the moment `after` means by the caller's clock (now when absent). */
  private due(after: Date | undefined) {
    return this.now(after ? Math.max(0, after.getTime() - this.clock.now().getTime()) : 0);
  }

  async enqueue(run: QueuedRun, options: { after?: Date } = {}): Promise<void> {
    await this.store.db
      .insertInto('jobQueue')
      .values({
        runId: run.runId,
        connectorId: run.connectorId,
        runAfter: this.due(options.after),
        lockedBy: null,
        lockedUntil: null,
        createdAt: this.now(),
      })
      .execute();
  }

  async claim(): Promise<ClaimedRun | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const next = await this.store.db
        .selectFrom('jobQueue')
        .select('id')
        .where('runAfter', '<=', this.now())
        .where((eb) => eb.or([eb('lockedUntil', 'is', null), eb('lockedUntil', '<=', this.now())]))
        .orderBy('runAfter')
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      if (!next) return undefined;
      // Taken only if it is still free when the update runs: another worker may have taken it since.
      const row = await this.store.db
        .updateTable('jobQueue')
        .set({ lockedBy: this.worker, lockedUntil: this.now(this.timing.leaseMs) })
        .where('id', '=', next.id)
        .where((eb) => eb.or([eb('lockedUntil', 'is', null), eb('lockedUntil', '<=', this.now())]))
        .returning(['id', 'runId', 'connectorId'])
        .executeTakeFirst();
      if (row)
        return { jobId: String(row.id), runId: Number(row.runId), connectorId: Number(row.connectorId) };
    }
    return undefined;
  }

  async extend(job: ClaimedRun): Promise<void> {
    await this.store.db
      .updateTable('jobQueue')
      .set({ lockedUntil: this.now(this.timing.leaseMs) })
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
      .set({ lockedBy: null, lockedUntil: null, runAfter: this.due(after) })
      .where('id', '=', Number(job.jobId))
      .where('lockedBy', '=', this.worker)
      .execute();
  }

  async carries(runId: number): Promise<boolean> {
    const row = await this.store.db
      .selectFrom('jobQueue')
      .select('id')
      .where('runId', '=', runId)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async remove(runId: number): Promise<boolean> {
    const r = await this.store.db
      .deleteFrom('jobQueue')
      .where('runId', '=', runId)
      .where((eb) => eb.or([eb('lockedUntil', 'is', null), eb('lockedUntil', '<=', this.now())]))
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async close(): Promise<void> {}
}
