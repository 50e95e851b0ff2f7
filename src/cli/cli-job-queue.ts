import type { JobQueue } from '../jobs/job-queue.js';
import { openJobQueue } from '../jobs/open-job-queue.js';
import { systemClock } from '../jobs/scheduler-clock.js';
import { DEFAULT_WORKER_TIMING } from '../jobs/worker.js';
import { type CliContext, databaseChoice, type GlobalFlags } from './cli-context.js';

/** The job queue of the command's store (the queue table, or pg-boss on PostgreSQL). */
export function openCliJobQueue(
  ctx: CliContext,
  flags: GlobalFlags,
  leaseMs = DEFAULT_WORKER_TIMING.leaseMs,
): Promise<JobQueue> {
  return openJobQueue(ctx.store, {
    timing: { leaseMs },
    clock: systemClock,
    connectionString: databaseChoice(flags).location,
  });
}
