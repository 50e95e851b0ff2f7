import type { Command } from 'commander';
import { ClientRateLimiter } from '../mde/http/client-rate-limiter.js';
import { ConnectorRepository } from '../store/connectors/connector-repository.js';
import { leftOutCount, notImported } from '../store/runs/not-imported.js';
import { type RequestedRunMode, RunRepository, type StreamCounters } from '../store/runs/run-repository.js';
import { createMdeClient } from '../sync/mde-client-factory.js';
import { runSync, SyncRefusedError, type SyncResult } from '../sync/run-sync.js';
import { type GlobalFlags, openCliContext } from './cli-context.js';
import { openCliJobQueue } from './cli-job-queue.js';
import { printJson, printTable } from './output.js';
import { terminalProgress } from './terminal-progress.js';
import { EXIT, UsageError } from './usage-error.js';

export function printSyncSummary(result: SyncResult): void {
  process.stdout.write(
    `Run ${result.runId} (${result.mode}: ${result.modeReason}) ${result.state} in ${((Date.parse(result.finishedAt) - Date.parse(result.startedAt)) / 1000).toFixed(1)}s; ` +
      `${result.apiCalls} API calls, ${result.retries} retries, ${(result.throttledMs / 1000).toFixed(1)}s throttled.\n`,
  );
  printStreamCounters(result.counters);
  const notImported = notImportedLines(result.counters);
  if (notImported.length > 0) process.stdout.write(`\nNot imported:\n${notImported.join('\n')}\n`);
  const notes = Object.entries(result.counters).flatMap(([name, c]) =>
    c.note ? [`  ${name}: ${c.note}`] : [],
  );
  if (notes.length > 0) process.stdout.write(`\nNotes:\n${notes.join('\n')}\n`);
  // Custom fields: values that did not convert were left out of the records, not fatal.
  for (const [name, c] of Object.entries(result.counters)) {
    for (const [reason, count] of Object.entries(c.rejectedFields ?? {}))
      process.stdout.write(`\n${name}: ${count} custom field values not converted: ${reason}`);
  }
  if (Object.values(result.counters).some((c) => c.rejectedFields)) process.stdout.write('\n');
  if (result.error)
    process.stdout.write(
      `\n${result.state === 'failed' ? 'Error' : result.state === 'cancelled' ? 'Stopped' : 'Problems'}: ${result.error}\n`,
    );
}

/** Per stream: outcome, fetched, inserted, updated, unchanged, closed, rejected and left out. */
export function printStreamCounters(counters: Record<string, StreamCounters>): void {
  printTable(
    ['stream', 'outcome', 'fetched', 'inserted', 'updated', 'unchanged', 'closed', 'rejected', 'left out'],
    Object.entries(counters).map(([name, c]) => [
      name,
      c.outcome ?? '-',
      String(c.fetched),
      String(c.inserted),
      String(c.updated),
      String(c.unchanged),
      String(c.closed),
      String(c.rejected),
      String(leftOutCount(c)),
    ]),
  );
}

/** The "Not imported" lines of a summary (store/runs/not-imported.ts). */
export function notImportedLines(counters: Record<string, StreamCounters>): string[] {
  return notImported(counters).map((n) => `  ${n.stream}: ${n.count.toLocaleString('en-US')} ${n.reason}`);
}

/** `mdec sync --connector NAME [--mode full|delta]` (docs/operations.md); exit 3 on a partial run. */
export function registerSyncCommand(program: Command, globals: () => GlobalFlags): void {
  program
    .command('sync')
    .description('sync one connector now')
    .requiredOption('--connector <name>', 'the connector')
    .option('--mode <mode>', 'full, delta, or auto (full when due, else delta)', 'auto')
    .option('--ca-file <path>', 'extra CA certificates (PEM) to trust, e.g. a TLS-inspecting proxy')
    .option('--enqueue', 'hand the run to the workers (mdec worker) and print its run id')
    .option('--force', 'sync an inactive connector all the same')
    .action(
      async (flags: {
        connector: string;
        mode: string;
        caFile?: string;
        enqueue?: boolean;
        force?: boolean;
      }) => {
        if (!['full', 'delta', 'auto'].includes(flags.mode)) {
          throw new UsageError(`--mode must be full, delta or auto (got "${flags.mode}")`);
        }
        const ctx = await openCliContext(globals(), 'existing');
        const found = await new ConnectorRepository(ctx.store, ctx.secrets)
          .byName(flags.connector)
          .catch(async (err) => {
            await ctx.close();
            throw err;
          });
        // An inactive connector gathers nothing unless asked explicitly (docs/scheduling.md#inactive).
        if (found && !found.active && !flags.force) {
          await ctx.close();
          throw new UsageError(
            `--connector: "${found.name}" is inactive and gathers nothing; activate it (connector edit --active) or add --force`,
          );
        }
        if (flags.enqueue) {
          try {
            if (!found) throw new UsageError(`--connector: no connector named "${flags.connector}"`);
            // A run already waiting is that run: the queue does not pile up runs of one connector.
            const waiting = await new RunRepository(ctx.store).latest(
              found.id,
              ['queued'],
              ['full', 'delta', 'auto'],
            );
            if (waiting) {
              if (ctx.json)
                printJson({ runId: waiting.id, connector: found.name, state: 'queued', alreadyQueued: true });
              else {
                ctx.note(`a run of "${found.name}" is already queued`);
                process.stdout.write(`${waiting.id}\n`);
              }
              return;
            }
            const queue = await openCliJobQueue(ctx, globals());
            try {
              const runId = await new RunRepository(ctx.store).enqueue(
                found.id,
                flags.mode as RequestedRunMode,
                'manual',
                new Date(),
              );
              await queue.enqueue({ runId, connectorId: found.id });
              if (ctx.json) printJson({ runId, connector: found.name, state: 'queued' });
              else process.stdout.write(`${runId}\n`);
            } finally {
              await queue.close();
            }
          } finally {
            await ctx.close();
          }
          return;
        }
        const abort = new AbortController();
        const onSignal = () => abort.abort(new Error('interrupted'));
        process.once('SIGINT', onSignal);
        try {
          const limiter = new ClientRateLimiter();
          const caFile = flags.caFile ?? process.env.MDEC_CA_FILE;
          const progress = ctx.json ? undefined : terminalProgress();
          const result = await runSync(
            {
              store: ctx.store,
              secrets: ctx.secrets,
              createClient: (c, creds, signal) =>
                createMdeClient(
                  c,
                  creds,
                  {
                    limiter,
                    ...(caFile ? { caFile } : {}),
                    ...(progress ? { onRetry: (notice) => progress.retry?.(notice) } : {}),
                  },
                  signal,
                ),
              progress,
            },
            {
              connector: flags.connector,
              mode: flags.mode as 'full' | 'delta' | 'auto',
              signal: abort.signal,
            },
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
      },
    );
}
