import type { Connector, ConnectorState } from '../store/connectors/connector-repository.js';
import type { Store } from '../store/db/store.js';
import { RunRepository, type RunState } from '../store/runs/run-repository.js';
import { SyncLeaseRepository } from '../store/runs/sync-lease-repository.js';
import { nextScheduledRun } from './next-scheduled-run.js';
import type { Clock } from './scheduler-clock.js';

/** What `connector list|show` and the API say about a connector's runs (docs/scheduling.md#states). */
export interface ConnectorStatus {
  state: ConnectorState;
  /** ISO UTC; null when nothing is scheduled. In the past when a worker will start it as soon as it looks. */
  nextRunAt: string | null;
  lastRun: { id: number; state: RunState; startedAt: string; finishedAt: string | null } | null;
  suspended: boolean;
  suspendedReason: string | null;
}

/**
 * The state follows one order: `processing` while a run holds the connector's live lease; else
 * `scheduled` when active with a next run; else the last run's outcome, `processed` (succeeded or
 * partial) or `failed`; `registered` before any run.
 */
export function displayState(facts: {
  running: boolean;
  nextRunAt: Date | null;
  lastOutcome: RunState | undefined;
}): ConnectorState {
  if (facts.running) return 'processing';
  if (facts.nextRunAt) return 'scheduled';
  if (facts.lastOutcome === 'succeeded' || facts.lastOutcome === 'partial') return 'processed';
  if (facts.lastOutcome === 'failed') return 'failed';
  return 'registered';
}

export async function connectorStatus(store: Store, c: Connector, clock: Clock): Promise<ConnectorStatus> {
  const runs = new RunRepository(store);
  const leases = new SyncLeaseRepository(store, { clock: () => clock.now() });
  const lease = await leases.current(c.id);
  const running = lease !== undefined && !leases.expired(lease);
  const next = nextScheduledRun(c);
  const outcome = await runs.latest(c.id, ['succeeded', 'partial', 'failed']);
  const last = await runs.latest(c.id, ['succeeded', 'partial', 'failed', 'cancelled']);
  return {
    state: displayState({ running, nextRunAt: next, lastOutcome: outcome?.state }),
    nextRunAt: next?.toISOString() ?? null,
    lastRun: last
      ? { id: last.id, state: last.state, startedAt: last.startedAt, finishedAt: last.finishedAt }
      : null,
    suspended: c.suspended !== null,
    suspendedReason: c.suspended?.reason ?? null,
  };
}
