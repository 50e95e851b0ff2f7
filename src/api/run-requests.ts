import type { JobQueue } from '../jobs/job-queue.js';
import type { Store } from '../store/db/store.js';
import { type RequestedRunMode, RunRepository, type RunState } from '../store/runs/run-repository.js';
import { SyncLeaseRepository } from '../store/runs/sync-lease-repository.js';

/**
 * Runs asked for through the API (docs/api.md#runs): recorded `queued` and handed to the workers
 * through the job queue, exactly as `mdec sync --enqueue` does, so the worker inside `mdec serve` or
 * any `mdec worker` process runs them; the server process itself never syncs.
 */
export class RunRequests {
  private readonly runs: RunRepository;
  private readonly leases: SyncLeaseRepository;

  constructor(
    private readonly deps: {
      store: Store;
      queue: JobQueue;
      now: () => Date;
    },
  ) {
    this.runs = new RunRepository(deps.store);
    this.leases = new SyncLeaseRepository(deps.store);
  }

  /** A sync of the connector holds its lease: it runs somewhere (a worker, the CLI). */
  async running(connectorId: number): Promise<boolean> {
    return (await this.leases.live(connectorId)) !== undefined;
  }

  /** A run of the connector is waiting for a worker, or a sync of it runs. */
  async inProgress(connectorId: number): Promise<boolean> {
    return (await this.runs.hasQueued(connectorId)) || (await this.running(connectorId));
  }

  /** Records a queued run and hands it to the workers; answers its id. */
  async request(connectorId: number, mode: RequestedRunMode): Promise<number> {
    const runId = await this.runs.enqueue(connectorId, mode, 'manual', this.deps.now());
    await this.deps.queue.enqueue({ runId, connectorId });
    return runId;
  }

  /**
   * As `mdec runs cancel`: a queued run is cancelled at once and leaves the queue; a running one is
   * asked to stop, and whoever runs it stops it after its current batch. Answers the state after.
   */
  async cancel(runId: number): Promise<RunState | undefined> {
    const state = await this.runs.cancel(runId, this.deps.now());
    if (state === 'cancelled') await this.deps.queue.remove(runId);
    return state;
  }
}
