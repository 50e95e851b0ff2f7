import { extname } from 'node:path';
import type { Command } from 'commander';
import { cliActor } from '../audit/audit-actor.js';
import { auditScoring } from '../audit/scoring-audit.js';
import { writeRecords } from '../export/write-records.js';
import { DEFAULT_SCORING_MAP, ScoringMapError } from '../normalize/scoring/scoring-map.js';
import {
  parseScoringMapFile,
  SCORING_FILE_FORMATS,
  type ScoringFileFormat,
  scoringMapRecords,
} from '../normalize/scoring/scoring-map-file.js';
import { type Connector, ConnectorRepository } from '../store/connectors/connector-repository.js';
import { ScoringMapRepository } from '../store/connectors/scoring-map-repository.js';
import { inStoreTransaction } from '../store/db/store-transaction.js';
import { type RescoreConnectorResult, rescoreConnector } from '../store/derive/rescore-connector.js';
import { type CliContext, type GlobalFlags, openCliContext } from './cli-context.js';
import { readFlagFile } from './flag-files.js';
import { printJson, printTable, writeOutput } from './output.js';
import { terminalProgress } from './terminal-progress.js';
import { UsageError } from './usage-error.js';

const STAGE = 'rescoring';

async function connectorNamed(ctx: CliContext, name: string): Promise<Connector> {
  const c = await new ConnectorRepository(ctx.store, ctx.secrets).byName(name);
  if (!c) throw new UsageError(`--connector: no connector named "${name}"`);
  return c;
}

/** Rescores a connector's findings with a progress line on a terminal (none with --json). */
async function rescore(
  ctx: CliContext,
  connector: Connector,
): Promise<RescoreConnectorResult & { seconds: number }> {
  const progress = ctx.json ? undefined : terminalProgress();
  const started = Date.now();
  progress?.start(STAGE);
  const result = await rescoreConnector(ctx.store, connector.id, {
    at: new Date().toISOString(),
    ...(progress ? { onProgress: (done: number, total: number) => progress.update(STAGE, done, total) } : {}),
  });
  progress?.finish(STAGE, 'complete', `${result.changed} of ${result.examined} findings changed`);
  return { ...result, seconds: (Date.now() - started) / 1000 };
}

function printRescore(connector: Connector, r: RescoreConnectorResult & { seconds: number }): void {
  process.stdout.write(
    `Rescored ${r.examined} findings of "${connector.name}" in ${r.seconds.toFixed(1)}s: ${r.changed} changed severity or score; ${r.hostsChanged} hosts changed risk.\n`,
  );
}

/**
 * `mdec scoring show|set|reset|rescore --connector NAME` (docs/data-model.md#scoring-map): view the
 * scoring map in force, replace it from a CSV or JSON file (which rescores the stored findings at
 * once, no sync needed), or rescore on demand.
 */
export function registerScoringCommand(program: Command, globals: () => GlobalFlags): void {
  const scoring = program.command('scoring').description("view or edit a connector's scoring map");

  scoring
    .command('show')
    .description('print the scoring map in force (a table, or --format json|csv)')
    .requiredOption('--connector <name>', 'the connector')
    .option('--format <format>', 'json or csv (the layout `scoring set --file` reads)')
    .option('--out <file>', 'write to this file (replaced only once complete)')
    .action(async (flags: { connector: string; format?: string; out?: string }) => {
      if (flags.format !== undefined && !(SCORING_FILE_FORMATS as readonly string[]).includes(flags.format))
        throw new UsageError(`--format must be json or csv (got "${flags.format}")`);
      const ctx = await openCliContext(globals(), 'existing');
      try {
        const connector = await connectorNamed(ctx, flags.connector);
        const stored = await new ScoringMapRepository(ctx.store).get(connector.id);
        const format = flags.format ?? (ctx.json ? 'json' : undefined);
        await writeOutput(flags.out, async (out) => {
          if (format === 'json') {
            printJson(
              ctx.json ? { connector: connector.name, custom: stored.custom, ...stored.map } : stored.map,
              out,
            );
          } else if (format === 'csv') {
            await writeRecords(
              (async function* () {
                yield* scoringMapRecords(stored.map);
              })(),
              'csv',
              out,
            );
          } else {
            out.write(
              `Scoring map of "${connector.name}" (${stored.custom ? `set ${stored.updatedAt}` : 'the built-in default'}):\n`,
            );
            printTable(
              ['#', 'source value', 'severity', 'score'],
              stored.map.rows.map((r, i) => [String(i + 1), r.match, String(r.severity), String(r.score)]),
              out,
            );
            out.write(
              `Default (no row matches): severity ${stored.map.defaultSeverity}, score ${stored.map.defaultScore}\n`,
            );
          }
        });
      } finally {
        await ctx.close();
      }
    });

  scoring
    .command('set')
    .description("replace the connector's scoring map from a CSV or JSON file and rescore its findings")
    .requiredOption('--connector <name>', 'the connector')
    .requiredOption('--file <path>', 'CSV (match,severity,score; match "*" is the default) or JSON')
    .option('--format <format>', 'json or csv (default: from the file extension)')
    .action(async (flags: { connector: string; file: string; format?: string }) => {
      const format = (flags.format ?? extname(flags.file).slice(1).toLowerCase()) as ScoringFileFormat;
      if (!SCORING_FILE_FORMATS.includes(format)) {
        throw new UsageError(
          flags.format === undefined
            ? `--file: cannot tell the format of "${flags.file}" from its extension; name it .csv or .json or pass --format`
            : `--format must be json or csv (got "${flags.format}")`,
        );
      }
      const text = readFlagFile('--file', flags.file);
      let map: ReturnType<typeof parseScoringMapFile>;
      try {
        map = parseScoringMapFile(text, format);
      } catch (err) {
        if (err instanceof ScoringMapError) throw new UsageError(`--file: ${err.issues.join('; ')}`);
        throw err;
      }
      const ctx = await openCliContext(globals(), 'existing');
      try {
        const connector = await connectorNamed(ctx, flags.connector);
        // The change and its audit entry commit together, or neither does (docs/audit-log.md).
        await inStoreTransaction(ctx.store, async (tx) => {
          const maps = new ScoringMapRepository(tx);
          const before = await maps.get(connector.id);
          await maps.set(connector.id, map, new Date().toISOString());
          await auditScoring(tx, cliActor(), connector, 'scoring.set', before, map);
        });
        const result = await rescore(ctx, connector);
        if (ctx.json) printJson({ connector: connector.name, map, rescored: result });
        else {
          process.stdout.write(
            `Scoring map of "${connector.name}" replaced: ${map.rows.length} ${map.rows.length === 1 ? 'row' : 'rows'}.\n`,
          );
          printRescore(connector, result);
        }
      } finally {
        await ctx.close();
      }
    });

  scoring
    .command('reset')
    .description('put the connector back on the default scoring map and rescore its findings')
    .requiredOption('--connector <name>', 'the connector')
    .action(async (flags: { connector: string }) => {
      const ctx = await openCliContext(globals(), 'existing');
      try {
        const connector = await connectorNamed(ctx, flags.connector);
        await inStoreTransaction(ctx.store, async (tx) => {
          const maps = new ScoringMapRepository(tx);
          const before = await maps.get(connector.id);
          await maps.reset(connector.id);
          await auditScoring(tx, cliActor(), connector, 'scoring.reset', before, DEFAULT_SCORING_MAP);
        });
        const result = await rescore(ctx, connector);
        if (ctx.json) printJson({ connector: connector.name, map: 'default', rescored: result });
        else {
          process.stdout.write(`Scoring map of "${connector.name}" is the default again.\n`);
          printRescore(connector, result);
        }
      } finally {
        await ctx.close();
      }
    });

  scoring
    .command('rescore')
    .description("rescore the connector's stored findings with its scoring map, without a sync")
    .requiredOption('--connector <name>', 'the connector')
    .action(async (flags: { connector: string }) => {
      const ctx = await openCliContext(globals(), 'existing');
      try {
        const connector = await connectorNamed(ctx, flags.connector);
        const result = await rescore(ctx, connector);
        if (ctx.json) printJson({ connector: connector.name, rescored: result });
        else printRescore(connector, result);
      } finally {
        await ctx.close();
      }
    });
}
