import type { Command } from 'commander';
import { EXPORT_FORMATS, EXPORT_KINDS, type ExportFormat, type ExportKind } from '../export/export-kinds.js';
import { QUERY_SPECS } from '../export/query-fields.js';
import { exportColumns, readRecords } from '../export/read-records.js';
import { writeRecords } from '../export/write-records.js';
import { compileQuery } from '../normalize/query/compile-query.js';
import { QuerySyntaxError } from '../normalize/query/query-ast.js';
import { ConnectorRepository } from '../store/connectors/connector-repository.js';
import { type GlobalFlags, openCliContext } from './cli-context.js';
import { writeOutput } from './output.js';
import { UsageError } from './usage-error.js';

/** `mdec export KIND --format json|ndjson|csv [--connector NAME] [--out FILE]` (docs/operations.md). */
export function registerExportCommand(program: Command, globals: () => GlobalFlags): void {
  program
    .command('export')
    .description(`export stored data: ${EXPORT_KINDS.join(', ')}`)
    .argument('<kind>', EXPORT_KINDS.join(' | '))
    .option('--format <format>', 'json, ndjson or csv', 'json')
    .option('--connector <name>', 'only what this connector brought in')
    .option('--out <file>', 'write to this file (replaced only once the export is complete)')
    .option(
      '--query <query>',
      'only matching records (docs/queries.md), e.g. "severity>=high AND status:open" or "os:Windows NOT tag:lab"',
    )
    .action(
      async (kind: string, flags: { format: string; connector?: string; out?: string; query?: string }) => {
        if (!(EXPORT_KINDS as readonly string[]).includes(kind)) {
          throw new UsageError(`unknown export "${kind}"; allowed: ${EXPORT_KINDS.join(', ')}`);
        }
        if (!(EXPORT_FORMATS as readonly string[]).includes(flags.format)) {
          throw new UsageError(
            `--format must be one of ${EXPORT_FORMATS.join(', ')} (got "${flags.format}")`,
          );
        }
        let where: ((r: Record<string, unknown>) => boolean) | undefined;
        if (flags.query !== undefined) {
          const spec = QUERY_SPECS[kind as ExportKind];
          if (!spec)
            throw new UsageError(`--query works on ${Object.keys(QUERY_SPECS).join(' and ')} (not ${kind})`);
          try {
            where = compileQuery(flags.query, spec);
          } catch (err) {
            if (err instanceof QuerySyntaxError) throw new UsageError(`--query: ${err.message}`);
            throw err;
          }
        }
        const ctx = await openCliContext(globals(), 'existing');
        try {
          let connectorId: number | undefined;
          if (flags.connector) {
            const c = await new ConnectorRepository(ctx.store, ctx.secrets).byName(flags.connector);
            if (!c) throw new UsageError(`--connector: no connector named "${flags.connector}"`);
            connectorId = c.id;
          }
          const records = readRecords(ctx.store, kind as ExportKind, {
            ...(connectorId === undefined ? {} : { connectorId }),
            ...(where ? { where } : {}),
          });
          const count = await writeOutput(flags.out, (out) =>
            writeRecords(records, flags.format as ExportFormat, out, {
              columns: () => exportColumns(ctx.store, kind as ExportKind),
            }),
          );
          if (flags.out) ctx.note(`wrote ${count} ${kind} to ${flags.out}`);
        } finally {
          await ctx.close();
        }
      },
    );
}
