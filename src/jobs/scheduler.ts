import type { SecretBox } from '../security/secret-box.js';
import { type Connector, ConnectorRepository } from '../store/connectors/connector-repository.js';
import type { Store } from '../store/db/store.js';
import { RunRepository } from '../store/runs/run-repository.js';
import { SyncLeaseRepository } from '../store/runs/sync-lease-repository.js';
import type { JobQueue } from './job-queue.js';
import { nextScheduledRun } from './next-scheduled-run.js';
import type { Clock } from './scheduler-clock.js';

export interface SchedulerDependencies {
  store: Store;
  secrets: SecretBox;
  queue: JobQueue;
  clock: Clock;
}

/** A run the scheduler handed to the queue. */
export interface ScheduledRun {
  connector: string;
  runId: number;
  /** The slot that was due (the first one missed, when several were). */
  slot: Date;
}

/**
 * Decides when scheduled runs are due and hands them to the queue (docs/scheduling.md). Each tick
 * looks at every connector once: a due slot becomes one queued run, however many slots were missed;
 * a connector with a run queued or in progress waits, so a run longer than its interval is never
 * doubled. Several schedulers (one per worker) may tick at once: consuming the slots is a
 * compare-and-set, so exactly one of them queues the run.
 */
export class Scheduler {
  constructor(private readonly deps: SchedulerDependencies) {}

  async tick(): Promise<ScheduledRun[]> {
    const { store, secrets, queue, clock } = this.deps;
    const now = () => clock.now();
    const connectors = new ConnectorRepository(store, secrets, now);
    const runs = new RunRepository(store);
    const leases = new SyncLeaseRepository(store, { clock: now });
    const queued: ScheduledRun[] = [];
    for (const c of await connectors.list()) {
      const slot = nextScheduledRun(c);
      const at = now();
      if (!slot || slot > at) continue;
      if (await this.busy(c, runs, leases)) continue;
      if (!(await connectors.consumeSlots(c.id, c.scheduledThrough, at.toISOString()))) continue;
      const runId = await runs.enqueue(c.id, 'auto', 'schedule', at);
      await queue.enqueue({ runId, connectorId: c.id });
      queued.push({ connector: c.name, runId, slot });
    }
    return queued;
  }

  /** A run waits while another of the connector is queued or holds its live sync lease. */
  private async busy(c: Connector, runs: RunRepository, leases: SyncLeaseRepository): Promise<boolean> {
    if (await runs.hasQueued(c.id)) return true;
    const lease = await leases.current(c.id);
    return lease !== undefined && !leases.expired(lease);
  }
}
