import type { Command } from 'commander';
import { systemClock } from '../jobs/scheduler-clock.js';
import { DEFAULT_WORKER_TIMING, Worker, type WorkerTiming } from '../jobs/worker.js';
import { adjustWorkerNiceness, DEFAULT_WORKER_NICENESS_ADJUSTMENT } from '../jobs/worker-priority.js';
import { ClientRateLimiter } from '../mde/http/client-rate-limiter.js';
import { createMdeClient } from '../sync/mde-client-factory.js';
import { type GlobalFlags, openCliContext } from './cli-context.js';
import { openCliJobQueue } from './cli-job-queue.js';
import { UsageError } from './usage-error.js';

interface WorkerFlags {
  leaseSeconds?: string;
  heartbeatSeconds?: string;
  pollSeconds?: string;
  tickSeconds?: string;
  retryDelaySeconds?: string;
  caFile?: string;
  nice?: string;
}

function seconds(flag: string, value: string | undefined, fallbackMs: number): number {
  if (value === undefined) return fallbackMs;
  if (!/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0)
    throw new UsageError(`--${flag} must be a positive number of seconds (got "${value}")`);
  return Math.round(Number(value) * 1000);
}

/** `--nice N`: what to add to the worker's niceness, -20 to 19. */
function nicenessFromFlag(value: string | undefined): number {
  if (value === undefined) return DEFAULT_WORKER_NICENESS_ADJUSTMENT;
  if (!/^-?\d+$/.test(value) || Number(value) < -20 || Number(value) > 19)
    throw new UsageError(`--nice must be a whole number from -20 to 19 (got "${value}")`);
  return Number(value);
}

/** The worker's timing from flags; the heartbeat defaults to a tenth of the lease. */
function timingFromFlags(flags: WorkerFlags): WorkerTiming {
  const d = DEFAULT_WORKER_TIMING;
  const leaseMs = seconds('lease-seconds', flags.leaseSeconds, d.leaseMs);
  const heartbeatMs = seconds(
    'heartbeat-seconds',
    flags.heartbeatSeconds,
    Math.min(d.heartbeatMs, leaseMs / 10),
  );
  if (heartbeatMs >= leaseMs)
    throw new UsageError('--heartbeat-seconds must be shorter than --lease-seconds');
  return {
    leaseMs,
    heartbeatMs,
    pollMs: seconds('poll-seconds', flags.pollSeconds, d.pollMs),
    tickMs: seconds('tick-seconds', flags.tickSeconds, d.tickMs),
    retryDelayMs: seconds('retry-delay-seconds', flags.retryDelaySeconds, d.retryDelayMs),
  };
}

/** `mdec worker` (docs/operations.md#workers): runs schedules and queued runs until SIGTERM or Ctrl-C. */
export function registerWorkerCommand(program: Command, globals: () => GlobalFlags): void {
  program
    .command('worker')
    .description('run scheduled and queued syncs until stopped (SIGTERM checkpoints and exits 0)')
    .option(
      '--lease-seconds <n>',
      'how long a killed worker keeps its connector from the others (default 300)',
    )
    .option(
      '--heartbeat-seconds <n>',
      'how often the lease is renewed (default: a tenth of the lease, at most 30)',
    )
    .option('--poll-seconds <n>', 'how often an idle worker looks at the queue (default 5)')
    .option('--tick-seconds <n>', 'how often the schedules are looked at (default 30)')
    .option('--retry-delay-seconds <n>', 'wait before retrying a failed run, doubled each time (default 60)')
    .option('--ca-file <path>', 'extra CA certificates (PEM) to trust, e.g. a TLS-inspecting proxy')
    .option(
      '--nice <n>',
      `added to the niceness of the worker and its syncs, as nice -n; 0 keeps the priority it starts with (default ${DEFAULT_WORKER_NICENESS_ADJUSTMENT})`,
    )
    .action(async (flags: WorkerFlags) => {
      const timing = timingFromFlags(flags);
      const niceness = nicenessFromFlag(flags.nice);
      try {
        adjustWorkerNiceness(niceness);
      } catch (err) {
        throw new UsageError(
          `--nice ${niceness}: cannot set the worker's priority (${(err as Error).message})`,
        );
      }
      const ctx = await openCliContext(globals(), 'existing');
      // pino is loaded by the worker alone, not by every command's start-up.
      const { workerLogger } = await import('../jobs/worker-logger.js');
      const log = workerLogger();
      const queue = await openCliJobQueue(ctx, globals(), timing.leaseMs).catch(async (err) => {
        await ctx.close();
        throw err;
      });
      const limiter = new ClientRateLimiter();
      const caFile = flags.caFile ?? process.env.MDEC_CA_FILE;
      const worker = new Worker({
        store: ctx.store,
        secrets: ctx.secrets,
        queue,
        clock: systemClock,
        log,
        timing,
        createClient: (c, creds, signal) =>
          createMdeClient(c, creds, { limiter, ...(caFile ? { caFile } : {}) }, signal),
      });
      // SIGTERM and Ctrl-C: the run in hand stops after its batch, goes back to the queue, exit 0.
      const onSignal = (signal: NodeJS.Signals) => {
        log.info({ signal }, 'stopping');
        worker.stop();
      };
      process.on('SIGTERM', onSignal);
      process.on('SIGINT', onSignal);
      try {
        await worker.run();
      } finally {
        process.off('SIGTERM', onSignal);
        process.off('SIGINT', onSignal);
        await queue.close().catch(() => {});
        await ctx.close();
      }
    });
}
