import type { Command } from 'commander';
import { ConnectorRepository } from '../store/connectors/connector-repository.js';
import { RunRepository, type SyncRun } from '../store/runs/run-repository.js';
import { type GlobalFlags, openCliContext } from './cli-context.js';
import { openCliJobQueue } from './cli-job-queue.js';
import { printJson, printTable } from './output.js';
import { notImportedLines, printStreamCounters } from './sync-command.js';
import { UsageError } from './usage-error.js';

/** A run for people and scripts, by connector name (docs/sync-runs.md). */
function describeRun(run: SyncRun, connector: string) {
  const { connectorId: _id, ...rest } = run;
  return { ...rest, connector };
}

function runId(value: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`the run id must be a whole number (got "${value}")`);
  return Number(value);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** `mdec runs list|show|cancel` (docs/operations.md#runs). */
export function registerRunsCommand(program: Command, globals: () => GlobalFlags): void {
  const runs = program.command('runs').description('run history: list, show and cancel runs');

  runs
    .command('list')
    .description('the latest runs, newest first')
    .option('--connector <name>', 'only this connector')
    .option('--limit <n>', 'how many runs (default 50)', '50')
    .action(async (flags: { connector?: string; limit: string }) => {
      if (!/^\d+$/.test(flags.limit))
        throw new UsageError(`--limit must be a whole number (got "${flags.limit}")`);
      const ctx = await openCliContext(globals(), 'existing');
      try {
        const connectors = await new ConnectorRepository(ctx.store, ctx.secrets).list();
        const names = new Map(connectors.map((c) => [c.id, c.name]));
        let connectorId: number | undefined;
        if (flags.connector !== undefined) {
          connectorId = connectors.find((c) => c.name === flags.connector)?.id;
          if (connectorId === undefined)
            throw new UsageError(`--connector: no connector named "${flags.connector}"`);
        }
        const list = await new RunRepository(ctx.store).list(connectorId, Number(flags.limit));
        if (ctx.json) printJson(list.map((r) => describeRun(r, names.get(r.connectorId) ?? '?')));
        else if (list.length === 0) process.stdout.write('No runs yet.\n');
        else
          printTable(
            [
              'run',
              'connector',
              'trigger',
              'mode',
              'state',
              'started',
              'finished',
              'API calls',
              'retries',
              'throttled',
              'error',
            ],
            list.map((r) => [
              String(r.id),
              names.get(r.connectorId) ?? '?',
              r.trigger,
              r.mode,
              r.state,
              r.startedAt.replace(/\.\d{3}Z$/, 'Z'),
              r.finishedAt?.replace(/\.\d{3}Z$/, 'Z') ?? '-',
              String(r.apiCalls),
              String(r.retries),
              seconds(r.throttledMs),
              (r.error ?? '').slice(0, 60),
            ]),
          );
      } finally {
        await ctx.close();
      }
    });

  runs
    .command('show')
    .description('one run with its counters per stream')
    .argument('<id>', 'the run id')
    .action(async (id: string) => {
      const ctx = await openCliContext(globals(), 'existing');
      try {
        const run = await new RunRepository(ctx.store).byId(runId(id));
        if (!run) throw new UsageError(`no run ${id}`);
        const connector =
          (await new ConnectorRepository(ctx.store, ctx.secrets).byId(run.connectorId))?.name ?? '?';
        if (ctx.json) {
          printJson(describeRun(run, connector));
          return;
        }
        const out = (k: string, v: string) => process.stdout.write(`${k.padEnd(11)} ${v}\n`);
        out('run', String(run.id));
        out('connector', connector);
        out('trigger', run.trigger);
        out('mode', run.mode);
        out('state', run.state);
        out('started', run.startedAt);
        out('finished', run.finishedAt ?? '-');
        out('API calls', String(run.apiCalls));
        out('retries', String(run.retries));
        out('throttled', seconds(run.throttledMs));
        if (run.cancelRequestedAt) out('cancel', `requested at ${run.cancelRequestedAt}`);
        if (run.lostJobs > 0) out('lost jobs', String(run.lostJobs));
        if (run.error) out('error', run.error);
        if (Object.keys(run.counters).length > 0) {
          process.stdout.write('\n');
          printStreamCounters(run.counters);
          const lines = notImportedLines(run.counters);
          if (lines.length > 0) process.stdout.write(`\nNot imported:\n${lines.join('\n')}\n`);
        }
      } finally {
        await ctx.close();
      }
    });

  runs
    .command('cancel')
    .description('cancel a queued run, or ask a running one to stop after its current batch')
    .argument('<id>', 'the run id')
    .action(async (id: string) => {
      const ctx = await openCliContext(globals(), 'existing');
      try {
        const repo = new RunRepository(ctx.store);
        const run = await repo.byId(runId(id));
        if (!run) throw new UsageError(`no run ${id}`);
        if (run.state !== 'queued' && run.state !== 'processing')
          throw new UsageError(`run ${run.id} has already ended (${run.state})`);
        const state = await repo.cancel(run.id, new Date());
        if (state === 'cancelled') {
          const queue = await openCliJobQueue(ctx, globals());
          try {
            await queue.remove(run.id);
          } finally {
            await queue.close();
          }
        }
        const outcome = state === 'cancelled' ? 'cancelled' : 'stopping';
        if (ctx.json) printJson({ runId: run.id, state: outcome });
        else
          process.stdout.write(
            outcome === 'cancelled'
              ? `Run ${run.id} cancelled.\n`
              : `Run ${run.id} is asked to stop; it stops after the batch in hand and ends cancelled.\n`,
          );
      } finally {
        await ctx.close();
      }
    });
}
