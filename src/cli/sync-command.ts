import type { Command } from 'commander';
import { ClientRateLimiter } from '../mde/http/client-rate-limiter.js';
import { createMdeClient } from '../sync/mde-client-factory.js';
import { runSync, SyncRefusedError, type SyncResult } from '../sync/run-sync.js';
import { type GlobalFlags, openCliContext } from './cli-context.js';
import { printJson, printTable } from './output.js';
import { terminalProgress } from './terminal-progress.js';
import { EXIT, UsageError } from './usage-error.js';

export function printSyncSummary(result: SyncResult): void {
  process.stdout.write(
    `Run ${result.runId} (${result.mode}: ${result.modeReason}) ${result.state} in ${((Date.parse(result.finishedAt) - Date.parse(result.startedAt)) / 1000).toFixed(1)}s; ` +
      `${result.apiCalls} API calls, ${result.retries} retries, ${(result.throttledMs / 1000).toFixed(1)}s throttled.\n`,
  );
  printTable(
    ['stream', 'outcome', 'fetched', 'inserted', 'updated', 'unchanged', 'closed', 'rejected'],
    Object.entries(result.counters).map(([name, c]) => [
      name,
      c.outcome ?? '-',
      String(c.fetched),
      String(c.inserted),
      String(c.updated),
      String(c.unchanged),
      String(c.closed),
      String(c.rejected),
    ]),
  );
  // Seed 004 custom fields: values that did not convert were left out of the records, not fatal.
  for (const [name, c] of Object.entries(result.counters)) {
    for (const [reason, count] of Object.entries(c.rejectedFields ?? {}))
      process.stdout.write(`\n${name}: ${count} custom field values not converted: ${reason}`);
  }
  if (Object.values(result.counters).some((c) => c.rejectedFields)) process.stdout.write('\n');
  if (result.error)
    process.stdout.write(`\n${result.state === 'failed' ? 'Error' : 'Problems'}: ${result.error}\n`);
}

/** `mdec sync --connector NAME [--mode full|delta]` (design.md 6); exit 3 on a partial run. */
export function registerSyncCommand(program: Command, globals: () => GlobalFlags): void {
  program
    .command('sync')
    .description('sync one connector now')
    .requiredOption('--connector <name>', 'the connector')
    .option('--mode <mode>', 'full, delta, or auto (full when due, else delta)', 'auto')
    .option('--ca-file <path>', 'extra CA certificates (PEM) to trust, e.g. a TLS-inspecting proxy')
    .action(async (flags: { connector: string; mode: string; caFile?: string }) => {
      if (!['full', 'delta', 'auto'].includes(flags.mode)) {
        throw new UsageError(`--mode must be full, delta or auto (got "${flags.mode}")`);
      }
      const ctx = await openCliContext(globals(), 'existing');
      const abort = new AbortController();
      const onSignal = () => abort.abort(new Error('interrupted'));
      process.once('SIGINT', onSignal);
      try {
        const limiter = new ClientRateLimiter();
        const caFile = flags.caFile ?? process.env.MDEC_CA_FILE;
        const result = await runSync(
          {
            store: ctx.store,
            secrets: ctx.secrets,
            createClient: (c, creds, signal) =>
              createMdeClient(c, creds, { limiter, ...(caFile ? { caFile } : {}) }, signal),
            progress: ctx.json ? undefined : terminalProgress(),
          },
          { connector: flags.connector, mode: flags.mode as 'full' | 'delta' | 'auto', signal: abort.signal },
        ).catch((err: unknown) => {
          if (err instanceof SyncRefusedError) throw new UsageError(`--connector: ${err.message}`);
          throw err;
        });
        if (ctx.json) printJson(result);
        else printSyncSummary(result);
        process.exitCode =
          result.state === 'succeeded' ? EXIT.ok : result.state === 'partial' ? EXIT.partial : EXIT.failure;
      } finally {
        process.off('SIGINT', onSignal);
        await ctx.close();
      }
    });
}
