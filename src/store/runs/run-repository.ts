import type { ExpressionBuilder, UpdateQueryBuilder, UpdateResult } from 'kysely';
import { databaseTime } from '../db/database-time.js';
import type { Database } from '../db/schema.js';
import type { Store } from '../db/store.js';

/** Run states (docs/data-model.md#syncrun). */
export const RUN_STATES = ['queued', 'processing', 'succeeded', 'partial', 'failed', 'cancelled'] as const;
export type RunState = (typeof RUN_STATES)[number];
export type SyncMode = 'full' | 'delta';
/** Who asked for the run: a person (CLI or API), the schedule, or the worker retrying a failed run. */
export type RunTrigger = 'manual' | 'schedule' | 'retry';
/** The mode a run was asked for; a queued run keeps `auto` until it starts and chooses. */
export type RequestedRunMode = SyncMode | 'auto';

/** What one stream did in one run (docs/data-model.md#syncrun). */
export interface StreamCounters {
  fetched: number;
  inserted: number;
  updated: number;
  unchanged: number;
  closed: number;
  rejected: number;
  /** Short reasons of rejected records, the first few of each kind, for the run's report. */
  rejectReasons: Record<string, number>;
  /** Why the stream did not complete, when it did not. */
  problem?: string;
  /** `complete`, `partial`, `failed`, `skipped` or `not-licensed`. */
  outcome?: string;
  /** Something worth knowing that is not a problem, e.g. an unchanged snapshot that was not re-read. */
  note?: string;
  /**
   * Records read but deliberately not imported, by reason (a connector option that leaves them out,
   * such as the stale threshold or the tag filter): reason → count. Rejected records are not here.
   */
  leftOut?: Record<string, number>;
  /** Custom field values that could not be converted (the record was kept without them): reason → count. */
  rejectedFields?: Record<string, number>;
}

export function emptyCounters(): StreamCounters {
  return { fetched: 0, inserted: 0, updated: 0, unchanged: 0, closed: 0, rejected: 0, rejectReasons: {} };
}

export interface SyncRun {
  id: number;
  connectorId: number;
  mode: SyncMode;
  trigger: RunTrigger;
  state: RunState;
  startedAt: string;
  finishedAt: string | null;
  counters: Record<string, StreamCounters>;
  apiCalls: number;
  retries: number;
  throttledMs: number;
  snapshotTime: string | null;
  error: string | null;
  /** When `mdec runs cancel` asked a running run to stop; null otherwise. */
  cancelRequestedAt: string | null;
  /** Times the run was found with no job left in the job queue (src/jobs/lost-run-recovery.ts). */
  lostJobs: number;
}

export class RunRepository {
  constructor(private readonly store: Store) {}

  async start(connectorId: number, mode: SyncMode, trigger: RunTrigger, at: Date): Promise<number> {
    return this.insert(connectorId, mode, trigger, 'processing', at);
  }

  /**
   * Records a run handed to the workers: `queued`, with the mode asked for; `startedAt` is the time
   * it was queued until a worker starts it.
   */
  async enqueue(connectorId: number, mode: RequestedRunMode, trigger: RunTrigger, at: Date): Promise<number> {
    return this.insert(connectorId, mode, trigger, 'queued', at);
  }

  /** A new run row with empty counters. */
  private async insert(
    connectorId: number,
    mode: RequestedRunMode,
    trigger: RunTrigger,
    state: 'processing' | 'queued',
    at: Date,
  ): Promise<number> {
    const row = await this.store.db
      .insertInto('syncRuns')
      .values({
        connectorId,
        mode,
        trigger,
        state,
        startedAt: at.toISOString(),
        finishedAt: null,
        counters: '{}',
        apiCalls: 0,
        retries: 0,
        throttledMs: 0,
        snapshotTime: null,
        error: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(row.id);
  }

  /** A queued run (or one resumed after its worker stopped) starts now in the chosen mode. */
  async begin(id: number, mode: SyncMode, at: Date): Promise<void> {
    await this.store.db
      .updateTable('syncRuns')
      .set({ state: 'processing', mode, startedAt: at.toISOString(), finishedAt: null, error: null })
      .where('id', '=', id)
      .execute();
  }

  /** A run its worker stopped at shutdown waits again for the next worker, which resumes it. */
  async requeue(id: number, note: string): Promise<void> {
    await this.store.db
      .updateTable('syncRuns')
      .set({ state: 'queued', finishedAt: null, error: note })
      .where('id', '=', id)
      .execute();
  }

  /**
   * Cancels a queued run at once; a running one is asked to stop (whoever runs it sees the request
   * within seconds, src/sync/cancel-request-watch.ts). Answers the run's state after the request.
   */
  async cancel(id: number, at: Date): Promise<RunState | undefined> {
    const stamp = at.toISOString();
    await this.store.db
      .updateTable('syncRuns')
      .set({ state: 'cancelled', finishedAt: stamp, error: 'cancelled before it started' })
      .where('id', '=', id)
      .where('state', '=', 'queued')
      .execute();
    await this.store.db
      .updateTable('syncRuns')
      .set({ cancelRequestedAt: stamp })
      .where('id', '=', id)
      .where('state', '=', 'processing')
      .execute();
    return (await this.byId(id))?.state;
  }

  /** Runs waiting for a worker that were queued at or before `at`, oldest first. */
  async queuedSince(at: Date): Promise<SyncRun[]> {
    const rows = await this.store.db
      .selectFrom('syncRuns')
      .selectAll()
      .where('state', '=', 'queued')
      .where('startedAt', '<=', at.toISOString())
      .orderBy('id')
      .execute();
    return rows.map(toRun);
  }

  /**
   * Runs left `processing` whose connector holds no live sync lease (by the database's clock): the
   * process that ran them stopped (killed, or its host went away) and nobody runs them now.
   */
  async processingWithoutLease(): Promise<SyncRun[]> {
    const rows = await this.store.db
      .selectFrom('syncRuns')
      .selectAll()
      .where('state', '=', 'processing')
      .where(({ not, exists, selectFrom }) => not(exists(this.liveLeaseOfRun(selectFrom))))
      .orderBy('id')
      .execute();
    return rows.map(toRun);
  }

  /**
   * A run whose queue job was lost goes back to `queued` with `note`, its lost-job count one higher,
   * queued `at` (so it is not judged lost again before its new job is sent); only if it is still as
   * it was read (same state, same count, and for a `processing` run still no live lease): of several
   * processes deciding about the same run, exactly one wins. True for it.
   */
  async requeueLost(run: SyncRun, note: string, at: Date): Promise<boolean> {
    const r = await this.unchangedSince(
      this.store.db.updateTable('syncRuns').set((eb) => ({
        state: 'queued',
        startedAt: at.toISOString(),
        finishedAt: null,
        error: note,
        lostJobs: eb('lostJobs', '+', 1),
      })),
      run,
    ).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Ends a run whose queue job was lost as failed, with the reason; the compare-and-set of requeueLost. */
  async failLost(run: SyncRun, error: string, at: Date): Promise<boolean> {
    const r = await this.unchangedSince(
      this.store.db.updateTable('syncRuns').set((eb) => ({
        state: 'failed',
        finishedAt: at.toISOString(),
        error,
        lostJobs: eb('lostJobs', '+', 1),
      })),
      run,
    ).executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  /** Narrows an update to the run as it was read: same state, same lost-job count, same note. */
  private unchangedSince<Q extends UpdateQueryBuilder<Database, 'syncRuns', 'syncRuns', UpdateResult>>(
    q: Q,
    run: SyncRun,
  ) {
    let narrowed = q
      .where('id', '=', run.id)
      .where('state', '=', run.state)
      .where('lostJobs', '=', run.lostJobs)
      .where((eb) => (run.error === null ? eb('error', 'is', null) : eb('error', '=', run.error)));
    if (run.state === 'processing')
      narrowed = narrowed.where(({ not, exists, selectFrom }) =>
        not(exists(this.liveLeaseOfRun(selectFrom))),
      );
    return narrowed;
  }

  /** The live sync lease of the run's connector, as a subquery of a statement on `syncRuns`. */
  private liveLeaseOfRun(selectFrom: ExpressionBuilder<Database, 'syncRuns'>['selectFrom']) {
    return selectFrom('syncLeases')
      .select('syncLeases.connectorId')
      .whereRef('syncLeases.connectorId', '=', 'syncRuns.connectorId')
      .where('syncLeases.expiresAt', '>', databaseTime(this.store.dialect));
  }

  /** Whether a connector has a run waiting for a worker. */
  async hasQueued(connectorId: number): Promise<boolean> {
    const row = await this.store.db
      .selectFrom('syncRuns')
      .select('id')
      .where('connectorId', '=', connectorId)
      .where('state', '=', 'queued')
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async finish(
    id: number,
    result: Pick<
      SyncRun,
      'state' | 'counters' | 'apiCalls' | 'retries' | 'throttledMs' | 'snapshotTime' | 'error'
    >,
    at: Date,
  ): Promise<void> {
    await this.store.db
      .updateTable('syncRuns')
      .set({
        state: result.state,
        finishedAt: at.toISOString(),
        counters: JSON.stringify(result.counters),
        apiCalls: result.apiCalls,
        retries: result.retries,
        throttledMs: Math.round(result.throttledMs),
        snapshotTime: result.snapshotTime,
        error: result.error,
      })
      .where('id', '=', id)
      .execute();
  }

  /** Stores how far a running sync got (src/sync/live-progress.ts), for other processes to follow. */
  async recordLiveProgress(id: number, progress: string): Promise<void> {
    await this.store.db
      .updateTable('syncRuns')
      .set({ liveProgress: progress })
      .where('id', '=', id)
      .execute();
  }

  /** A run's state and live progress: what a follower reads every second, without the counters. */
  async liveState(id: number): Promise<{ state: RunState; liveProgress: string | null } | undefined> {
    const row = await this.store.db
      .selectFrom('syncRuns')
      .select(['state', 'liveProgress'])
      .where('id', '=', id)
      .executeTakeFirst();
    return row && { state: row.state as RunState, liveProgress: row.liveProgress ?? null };
  }

  async byId(id: number): Promise<SyncRun | undefined> {
    const row = await this.store.db
      .selectFrom('syncRuns')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toRun(row);
  }

  async list(connectorId?: number, limit = 100): Promise<SyncRun[]> {
    let q = this.store.db.selectFrom('syncRuns').selectAll().orderBy('id', 'desc').limit(limit);
    if (connectorId !== undefined) q = q.where('connectorId', '=', connectorId);
    return (await q.execute()).map(toRun);
  }

  /** The newest run of a connector in one of the given states and modes. */
  async latest(
    connectorId: number,
    states: RunState[],
    modes: RequestedRunMode[] = ['full', 'delta'],
  ): Promise<SyncRun | undefined> {
    const row = await this.store.db
      .selectFrom('syncRuns')
      .selectAll()
      .where('connectorId', '=', connectorId)
      .where('state', 'in', states)
      .where('mode', 'in', modes)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row && toRun(row);
  }

  /** Runs left `processing` by a process that died: they are failed, never silently resumed as done. */
  async failAbandoned(connectorId: number, at: Date, except?: number): Promise<number[]> {
    let q = this.store.db
      .updateTable('syncRuns')
      .set({
        state: 'failed',
        finishedAt: at.toISOString(),
        error: 'the process running this sync stopped before it finished',
      })
      .where('connectorId', '=', connectorId)
      .where('state', '=', 'processing');
    if (except !== undefined) q = q.where('id', '!=', except);
    const rows = await q.returning('id').execute();
    return rows.map((r) => Number(r.id));
  }
}

function toRun(row: {
  id: number;
  connectorId: number;
  mode: string;
  trigger: string;
  state: string;
  startedAt: string;
  finishedAt: string | null;
  counters: string;
  apiCalls: number;
  retries: number;
  throttledMs: number;
  snapshotTime: string | null;
  error: string | null;
  cancelRequestedAt: string | null;
  lostJobs: number;
}): SyncRun {
  return {
    id: Number(row.id),
    connectorId: Number(row.connectorId),
    mode: row.mode as SyncMode,
    trigger: row.trigger as RunTrigger,
    state: row.state as RunState,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    counters: JSON.parse(row.counters) as Record<string, StreamCounters>,
    apiCalls: Number(row.apiCalls),
    retries: Number(row.retries),
    throttledMs: Number(row.throttledMs),
    snapshotTime: row.snapshotTime,
    error: row.error,
    cancelRequestedAt: row.cancelRequestedAt,
    lostJobs: Number(row.lostJobs),
  };
}
