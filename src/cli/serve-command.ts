import type { Command } from 'commander';
import { type GlobalFlags, openCliContext } from './cli-context.js';
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
    .action(
      async (flags: {
        host: string;
        port: string;
        worker: boolean;
        tlsCert?: string;
        tlsKey?: string;
        caFile?: string;
      }) => {
        if (!/^\d+$/.test(flags.port) || Number(flags.port) > 65535)
          throw new UsageError(`--port must be 0 to 65535 (got "${flags.port}")`);
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
        // The in-process job worker starts here (BackgroundWork of src/api/serve.ts) unless --no-worker.
        const server = await serveApi({
          store: ctx.store,
          secrets: ctx.secrets,
          host: flags.host,
          port: Number(flags.port),
          ...(tls ? { tls } : {}),
          ...(caFile ? { caFile } : {}),
          logger: !ctx.json,
        }).catch(async (err: unknown) => {
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
          await ctx.close();
        }
      },
    );
}
