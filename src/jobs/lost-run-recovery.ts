import type { ConnectorRepository } from '../store/connectors/connector-repository.js';
import type { RunRepository, SyncRun } from '../store/runs/run-repository.js';
import type { JobQueue } from './job-queue.js';

/** The note a queued run carries once it was handed to the queue again after its job was lost. */
export const QUEUED_AGAIN =
  'its job had left the queue (deleted, archived or expired there) before a worker ran it; queued again';

/** The note of a run that stopped mid-sync with its job lost, once it was handed to the queue again. */
export const RESUMED_AGAIN =
  'its worker stopped mid-sync (its sync lease expired) and its job had left the queue; queued again to resume from its checkpoints';

/** What recovery did with a run whose job was lost. */
export interface RecoveredRun {
  runId: number;
  connectorId: number;
  /** The run's state when it was found: waiting for a worker, or left mid-sync. */
  was: 'queued' | 'processing';
  outcome: 'queued-again' | 'failed';
}

/**
 * A run no worker will ever pick up would wait forever (docs/scheduling.md#lost-jobs): a `queued`
 * run whose job the queue no longer carries (deleted or archived, expired in pg-boss, or its sender
 * died before it sent the job), and a run left `processing` whose sync lease expired (its process
 * stopped) while the queue carries no job of it either (lost the same ways, or never queued: a
 * `mdec sync` by hand that was killed). Each worker looks at its scheduler's tick: queued runs once
 * they were queued at least `graceMs` ago (a run is recorded just before its job is sent),
 * processing runs once their lease has expired by the database's clock.
 *
 * One rule for both: the first time a run is found lost it is handed to the queue again (a
 * processing run resumes from its connector's checkpoints); found lost a second time, it ends
 * `failed` with the reason (the connector's next scheduled run comes as usual). The run's lost-job
 * count keeps the tally across restarts. Each decision is a compare-and-set on the run's row, so of
 * several workers that see the same lost run exactly one acts on it.
 */
export async function recoverLostRuns(
  deps: { runs: RunRepository; connectors: ConnectorRepository; queue: JobQueue; now: () => Date },
  graceMs: number,
): Promise<RecoveredRun[]> {
  const { runs, queue, now } = deps;
  const found = [
    ...(await runs.queuedSince(new Date(now().getTime() - graceMs))),
    ...(await runs.processingWithoutLease()),
  ];
  const recovered: RecoveredRun[] = [];
  for (const run of found) {
    if (await queue.carries(run.id)) continue;
    // Another run of the connector waits: when it starts it ends this one as interrupted and
    // resumes from the checkpoints (run-sync.ts), so queuing this one too would only double it.
    if (run.state === 'processing' && (await runs.hasQueued(run.connectorId))) continue;
    const outcome = await recover(deps, run);
    if (outcome)
      recovered.push({
        runId: run.id,
        connectorId: run.connectorId,
        was: run.state as RecoveredRun['was'],
        outcome,
      });
  }
  return recovered;
}

/** Queues a lost run again or fails it; undefined when another process decided first. */
async function recover(
  { runs, connectors, queue, now }: Parameters<typeof recoverLostRuns>[0],
  run: SyncRun,
): Promise<RecoveredRun['outcome'] | undefined> {
  // Its connector was removed meanwhile: nothing is left to run.
  const connector = await connectors.byId(run.connectorId);
  if (run.lostJobs > 0 || !connector) {
    const reason = !connector
      ? 'its connector was removed before a worker ran it'
      : run.state === 'processing'
        ? 'its worker stopped mid-sync and its job was lost by the job queue, for the second time; the next run resumes from its checkpoints'
        : 'its job was lost twice by the job queue (deleted, archived or expired there) before a worker ran it';
    return (await runs.failLost(run, reason, now())) ? 'failed' : undefined;
  }
  const note = run.state === 'processing' ? RESUMED_AGAIN : QUEUED_AGAIN;
  if (!(await runs.requeueLost(run, note, now()))) return undefined;
  await queue.enqueue({ runId: run.id, connectorId: run.connectorId });
  return 'queued-again';
}
