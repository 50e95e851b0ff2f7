import type { Command } from 'commander';
import { defaultReadThreads, MAX_READ_THREADS } from '../api/read-thread-count.js';
import type { BackgroundWork } from '../api/serve.js';
import type { JobQueue } from '../jobs/job-queue.js';
import { systemClock } from '../jobs/scheduler-clock.js';
import { DEFAULT_WORKER_TIMING, Worker } from '../jobs/worker.js';
import { ClientRateLimiter } from '../mde/http/client-rate-limiter.js';
import { createMdeClient } from '../sync/mde-client-factory.js';
import type { CliContext } from './cli-context.js';
import { type GlobalFlags, openCliContext } from './cli-context.js';
import { openCliJobQueue } from './cli-job-queue.js';
import { readFlagFile } from './flag-files.js';
import { UsageError } from './usage-error.js';

/**
 * `mdec serve [--host 127.0.0.1] [--port 8080] [--no-worker] [--tls-cert F --tls-key F]`
 * (docs/api.md#serving): runs until Ctrl-C or SIGTERM, then stops accepting requests, lets the syncs
 * it started record how they ended, and exits.
 */
export function registerServeCommand(program: Command, globals: () => GlobalFlags): void {
  program
    .command('serve')
    .description('run the REST API (and the job worker) until Ctrl-C')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0 picks a free one)', '8080')
    .option('--no-worker', 'do not run schedules and queued runs in this process')
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate')
    .option('--tls-key <file>', 'private key (PEM) of --tls-cert')
    .option('--ca-file <path>', 'extra CA certificates (PEM) to trust for calls to MDE')
    .option(
      '--read-threads <n>',
      'threads that read the store for answers (default: one per core, at most 4; 0: none)',
    )
    .action(
      async (flags: {
        host: string;
        port: string;
        worker: boolean;
        tlsCert?: string;
        tlsKey?: string;
        caFile?: string;
        readThreads?: string;
      }) => {
        if (!/^\d+$/.test(flags.port) || Number(flags.port) > 65535)
          throw new UsageError(`--port must be 0 to 65535 (got "${flags.port}")`);
        if (flags.readThreads !== undefined && !/^\d+$/.test(flags.readThreads))
          throw new UsageError(`--read-threads must be a whole number (got "${flags.readThreads}")`);
        if (Number(flags.readThreads) > MAX_READ_THREADS)
          throw new UsageError(
            `--read-threads must be at most ${MAX_READ_THREADS} (got ${flags.readThreads})`,
          );
        if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined))
          throw new UsageError('give --tls-cert and --tls-key together');
        const tls =
          flags.tlsCert && flags.tlsKey
            ? {
                cert: Buffer.from(readFlagFile('--tls-cert', flags.tlsCert)),
                key: Buffer.from(readFlagFile('--tls-key', flags.tlsKey)),
              }
            : undefined;
        // Fastify and the routes load only when serving: every other command starts without them.
        const { isLoopback, serveApi } = await import('../api/serve.js');
        const ctx = await openCliContext(globals(), 'existing');
        if (!tls && !isLoopback(flags.host))
          ctx.note(
            `warning: serving plain HTTP on ${flags.host}: passwords and session cookies cross the network unencrypted; use --tls-cert and --tls-key`,
          );
        const caFile = flags.caFile ?? process.env.MDEC_CA_FILE;
        // Runs asked for through the API go to the job queue; the in-process job worker
        // (docs/api.md#serving) runs them and the schedules unless --no-worker, `mdec worker` otherwise.
        const queue = await openCliJobQueue(ctx, globals(), DEFAULT_WORKER_TIMING.leaseMs);
        const worker = flags.worker ? await inProcessWorker(ctx, queue, caFile) : undefined;
        const server = await serveApi({
          queue,
          store: ctx.store,
          secrets: ctx.secrets,
          host: flags.host,
          port: Number(flags.port),
          ...(tls ? { tls } : {}),
          ...(caFile ? { caFile } : {}),
          ...(worker ? { worker } : {}),
          readThreads: {
            threads: flags.readThreads === undefined ? defaultReadThreads() : Number(flags.readThreads),
            location: ctx.storeOpenedAt,
          },
          warn: (message) => ctx.note(`warning: ${message}`),
          logger: !ctx.json,
        }).catch(async (err: unknown) => {
          await worker?.stop();
          await queue.close().catch(() => {});
          await ctx.close();
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')
            throw new UsageError(`cannot listen on ${flags.host}:${flags.port}: ${(err as Error).message}`);
          throw err;
        });
        if (ctx.json) process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
        else ctx.note(`listening on ${server.url}`);
        const { promise: stopped, resolve } = (() => {
          let done!: (signal: NodeJS.Signals) => void;
          return {
            promise: new Promise<NodeJS.Signals>((r) => (done = r)),
            resolve: (s: NodeJS.Signals) => done(s),
          };
        })();
        const onSignal = (signal: NodeJS.Signals) => resolve(signal);
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        const signal = await stopped;
        ctx.note(`stopping (${signal}): waiting for running syncs to checkpoint`);
        try {
          await server.close();
        } finally {
          await queue.close().catch(() => {});
          await ctx.close();
        }
      },
    );
}

/**
 * `mdec worker` inside the server (src/jobs/worker.ts): the same schedules and queued runs (those the
 * API queues included), its log on stderr. stop() ends the run in hand after its batch; the caller
 * closes the queue.
 */
export async function inProcessWorker(
  ctx: CliContext,
  queue: JobQueue,
  caFile: string | undefined,
): Promise<BackgroundWork> {
  const { workerLogger } = await import('../jobs/worker-logger.js');
  const limiter = new ClientRateLimiter();
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  return {
    async start({ onRunFinished }) {
      worker = new Worker({
        store: ctx.store,
        secrets: ctx.secrets,
        queue,
        clock: systemClock,
        log: workerLogger(),
        timing: DEFAULT_WORKER_TIMING,
        createClient: (c, creds, signal) =>
          createMdeClient(c, creds, { limiter, ...(caFile ? { caFile } : {}) }, signal),
        onRunFinished,
      });
      running = worker.run();
    },
    async stop() {
      worker?.stop();
      await running?.catch(() => {});
    },
  };
}
