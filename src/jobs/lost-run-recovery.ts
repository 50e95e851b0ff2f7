import type { ConnectorRepository } from '../store/connectors/connector-repository.js';
import type { RunRepository } from '../store/runs/run-repository.js';
import type { JobQueue } from './job-queue.js';

/** The note a run carries once it was handed to the queue again after its job was lost. */
export const QUEUED_AGAIN =
  'its job had left the queue (deleted, archived or expired there) before a worker ran it; queued again';

/** What recovery did with a run whose job was lost. */
export interface RecoveredRun {
  runId: number;
  connectorId: number;
  outcome: 'queued-again' | 'failed';
}

/**
 * A `queued` run whose job the queue no longer carries would wait forever: the job was deleted or
 * archived, expired in pg-boss, or the process that recorded the run died before it sent the job
 * (docs/scheduling.md#lost-jobs). Each worker looks at its scheduler's tick, for runs queued at
 * least `graceMs` ago (a run is recorded just before its job is sent): such a run is handed to the
 * queue again once; lost a second time, it ends `failed` with the reason (the connector's next
 * scheduled run comes as usual). The decision is a compare-and-set on the run's note,
 * so of several workers that see the same lost run exactly one acts on it.
 */
export async function recoverLostRuns(
  deps: { runs: RunRepository; connectors: ConnectorRepository; queue: JobQueue; now: () => Date },
  graceMs: number,
): Promise<RecoveredRun[]> {
  const { runs, connectors, queue, now } = deps;
  const recovered: RecoveredRun[] = [];
  for (const run of await runs.queuedSince(new Date(now().getTime() - graceMs))) {
    if (await queue.carries(run.id)) continue;
    // Its connector was removed meanwhile: nothing is left to run.
    const connector = await connectors.byId(run.connectorId);
    if (run.error === QUEUED_AGAIN || !connector) {
      const reason = connector
        ? 'its job was lost twice by the job queue (deleted, archived or expired there) before a worker ran it'
        : 'its connector was removed before a worker ran it';
      if (await runs.failQueued(run.id, reason, now()))
        recovered.push({ runId: run.id, connectorId: run.connectorId, outcome: 'failed' });
      continue;
    }
    if (!(await runs.renoteQueued(run.id, run.error, QUEUED_AGAIN))) continue;
    await queue.enqueue({ runId: run.id, connectorId: run.connectorId });
    recovered.push({ runId: run.id, connectorId: run.connectorId, outcome: 'queued-again' });
  }
  return recovered;
}
