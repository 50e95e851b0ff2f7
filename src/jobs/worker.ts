import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { SecretBox } from '../security/secret-box.js';
import { ConnectorRepository } from '../store/connectors/connector-repository.js';
import type { Store } from '../store/db/store.js';
import { RunRepository, type SyncRun } from '../store/runs/run-repository.js';
import { LiveProgressRecorder } from '../sync/live-progress.js';
import { fanOutProgress, type ProgressReporter } from '../sync/progress.js';
import { runSync, type SyncDependencies, type SyncResult, SyncRunningError } from '../sync/run-sync.js';
import type { ClaimedRun, JobQueue } from './job-queue.js';
import { recoverLostRuns } from './lost-run-recovery.js';
import { Scheduler } from './scheduler.js';
import type { Clock } from './scheduler-clock.js';

/** How often a worker does what, in milliseconds (docs/operations.md#worker-options). */
export interface WorkerTiming {
  /** Sync lease and queue hold: how long a killed worker keeps a connector from the others. */
  leaseMs: number;
  /** How often the worker renews its sync lease. */
  heartbeatMs: number;
  /** How long an idle worker waits before it looks at the queue again. */
  pollMs: number;
  /** How often the worker's scheduler looks for due runs. */
  tickMs: number;
  /** The wait before the first retry of a failed run; it doubles with each failed run in a row. */
  retryDelayMs: number;
}

export const DEFAULT_WORKER_TIMING: WorkerTiming = {
  leaseMs: 5 * 60_000,
  heartbeatMs: 30_000,
  pollMs: 5_000,
  tickMs: 30_000,
  retryDelayMs: 60_000,
};

export interface WorkerDependencies {
  store: Store;
  secrets: SecretBox;
  queue: JobQueue;
  clock: Clock;
  log: Logger;
  timing: WorkerTiming;
  createClient: SyncDependencies['createClient'];
  /** Told of every run the worker ran to its end (the server's metrics). */
  onRunFinished?: (result: SyncResult) => void;
}

/**
 * The most time between two touches of a held job, whatever the heartbeat: pg-boss gives a job whose
 * heartbeat is older than 10 s to another worker (pg-boss-job-queue.ts).
 */
const JOB_TOUCH_MS = 3_000;

/** A run stopped by its worker's shutdown (it resumes elsewhere), as opposed to a cancel request. */
class Shutdown extends Error {}

/**
 * `mdec worker` (docs/operations.md#workers): runs the schedule and the queued runs, one run at a time.
 * SIGTERM (stop()) ends the run in hand after its current batch, whose checkpoint is stored with it,
 * gives the run back to the queue and ends the loop; the next worker resumes from the checkpoint.
 */
export class Worker {
  private readonly stopping = new AbortController();
  private readonly scheduler: Scheduler;

  constructor(private readonly deps: WorkerDependencies) {
    this.scheduler = new Scheduler(deps);
  }

  /** Asks the loop to end: the run in hand stops at its next batch and goes back to the queue. */
  stop(): void {
    if (!this.stopping.signal.aborted) this.stopping.abort(new Shutdown('the worker is shutting down'));
  }

  async run(): Promise<void> {
    const { log, timing, clock } = this.deps;
    log.info({ leaseMs: timing.leaseMs }, 'worker started');
    let nextTick = 0;
    while (!this.stopping.signal.aborted) {
      try {
        if (clock.now().getTime() >= nextTick) {
          nextTick = clock.now().getTime() + timing.tickMs;
          // Lost runs first: a run queued again keeps the scheduler from queuing a second one.
          await this.recoverLostRuns();
          for (const s of await this.scheduler.tick())
            log.info({ runId: s.runId, connector: s.connector, slot: s.slot.toISOString() }, 'run scheduled');
        }
        const job = await this.deps.queue.claim();
        if (job) {
          await this.handle(job);
          continue;
        }
      } catch (err) {
        log.error({ err: message(err) }, 'worker step failed; trying again');
      }
      await sleep(timing.pollMs, undefined, { signal: this.stopping.signal }).catch(() => {});
    }
    log.info('worker stopped');
  }

  /**
   * Runs whose job the queue lost, waiting or left mid-sync by a stopped worker, go in again once,
   * then fail (lost-run-recovery.ts). A queued run is judged two ticks after it was queued, long
   * after its job was sent; a processing one once its sync lease has expired.
   */
  private async recoverLostRuns(): Promise<void> {
    const { store, secrets, queue, clock, log, timing } = this.deps;
    const now = () => clock.now();
    const found = await recoverLostRuns(
      {
        runs: new RunRepository(store),
        connectors: new ConnectorRepository(store, secrets, now),
        queue,
        now,
      },
      2 * timing.tickMs,
    );
    for (const r of found)
      log.warn(
        { runId: r.runId, connectorId: r.connectorId, was: r.was, outcome: r.outcome },
        r.outcome === 'failed' ? 'lost run failed' : 'lost run queued again',
      );
  }

  private async handle(job: ClaimedRun): Promise<void> {
    const { store, secrets, queue, clock, log, timing } = this.deps;
    const now = () => clock.now();
    const runs = new RunRepository(store);
    const connectors = new ConnectorRepository(store, secrets, now);
    const run = await runs.byId(job.runId);
    const connector = await connectors.byId(job.connectorId);
    if (!run || !connector || (run.state !== 'queued' && run.state !== 'processing')) {
      // Cancelled, removed, or ended while it waited: nothing left to run.
      await queue.complete(job);
      return;
    }
    const fields = { runId: run.id, connector: connector.name };
    const abort = new AbortController();
    const onStop = () => abort.abort(this.stopping.signal.reason);
    this.stopping.signal.addEventListener('abort', onStop, { once: true });
    // Keeps the queue's hold while the run goes on (runSync itself watches for `mdec runs cancel`).
    const watch = setInterval(
      () => {
        queue
          .extend(job)
          .catch((err: unknown) => log.warn({ ...fields, err: message(err) }, 'heartbeat failed'));
      },
      Math.min(timing.heartbeatMs, JOB_TOUCH_MS),
    );
    log.info({ ...fields, trigger: run.trigger }, 'run started');
    // The run row carries its progress, for the API's run events in whatever process serves them.
    const live = new LiveProgressRecorder(
      (progress) => runs.recordLiveProgress(run.id, progress),
      (err) => log.warn({ ...fields, err: message(err) }, 'writing the run progress failed'),
    );
    let result: SyncResult;
    try {
      result = await runSync(
        {
          store,
          secrets,
          createClient: this.deps.createClient,
          now,
          progress: fanOutProgress(loggingProgress(log, fields), live),
          lease: { ttlMs: timing.leaseMs, heartbeatMs: timing.heartbeatMs },
        },
        {
          connector: connector.name,
          mode: run.mode as SyncRun['mode'] | 'auto',
          trigger: run.trigger,
          signal: abort.signal,
          runId: run.id,
        },
      );
    } catch (err) {
      // Another sync of the connector holds its lease (a sync by hand, another worker): this run waits.
      const wait = new Date(now().getTime() + timing.pollMs);
      if (err instanceof SyncRunningError) log.info({ ...fields, holder: err.message }, 'run waits');
      else log.error({ ...fields, err: message(err) }, 'run could not start; it waits');
      await queue.release(job, wait);
      return;
    } finally {
      clearInterval(watch);
      this.stopping.signal.removeEventListener('abort', onStop);
      await live.flush();
    }
    if (result.state === 'cancelled' && abort.signal.reason instanceof Shutdown) {
      await runs.requeue(run.id, 'its worker stopped; the next worker resumes it from its checkpoints');
      await queue.release(job);
      log.info(fields, 'run checkpointed and released');
      return;
    }
    await queue.complete(job);
    this.deps.onRunFinished?.(result);
    log.info(
      { ...fields, state: result.state, mode: result.mode, apiCalls: result.apiCalls, error: result.error },
      'run finished',
    );
    if (result.state === 'cancelled') return;
    await this.afterOutcome(connector.id, connector.name, run, result);
  }

  /**
   * Failed runs are retried with a doubling wait until the connector's `maxFailedRuns` failed in a
   * row; then its schedule stops until an edit or a sync by hand (docs/scheduling.md#failed-runs).
   * Partial runs are not retried: the next scheduled run completes them.
   */
  private async afterOutcome(connectorId: number, name: string, run: SyncRun, result: SyncResult) {
    const { store, secrets, queue, clock, log, timing } = this.deps;
    const connectors = new ConnectorRepository(store, secrets, () => clock.now());
    const failed = result.state === 'failed';
    const inRow = await connectors.countRunOutcome(connectorId, failed);
    if (!failed) return;
    const connector = await connectors.byId(connectorId);
    if (!connector) return;
    const fields = { runId: run.id, connector: name };
    if (inRow >= connector.options.maxFailedRuns) {
      const reason = `${inRow} failed runs in a row (the last, run ${run.id}: ${result.error ?? 'failed'}); edit the connector or sync it by hand to resume its schedule`;
      await connectors.suspend(connectorId, reason);
      log.warn({ ...fields, failedInRow: inRow }, 'schedule suspended');
      return;
    }
    const after = new Date(clock.now().getTime() + timing.retryDelayMs * 2 ** (inRow - 1));
    const runs = new RunRepository(store);
    const retryId = await runs.enqueue(connectorId, 'auto', 'retry', clock.now());
    await queue.enqueue({ runId: retryId, connectorId }, { after });
    log.info(
      { ...fields, retryRunId: retryId, after: after.toISOString(), failedInRow: inRow },
      'retry queued',
    );
  }
}

/** A run's progress as log events: each stream's outcome and each notable event. */
function loggingProgress(log: Logger, fields: { runId: number; connector: string }): ProgressReporter {
  return {
    start() {},
    update() {},
    finish(stream, outcome, detail) {
      log.info({ ...fields, stream, outcome, ...(detail ? { detail } : {}) }, 'stream finished');
    },
    note(note) {
      log.info({ ...fields, note }, 'note');
    },
    retry(notice) {
      log.info({ ...fields, retry: notice }, 'request retried');
    },
  };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
