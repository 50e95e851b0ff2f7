import type { Command } from 'commander';
import { writeRecords } from '../export/write-records.js';
import { AuditLogRepository } from '../store/audit/audit-log-repository.js';
import { type GlobalFlags, openCliContext } from './cli-context.js';
import { writeOutput } from './output.js';
import { UsageError } from './usage-error.js';

const AUDIT_FORMATS = ['json', 'csv'] as const;

/** The columns of the export, in order (docs/audit-log.md#export). */
const AUDIT_COLUMNS = [
  'id',
  'at',
  'actor',
  'actorKind',
  'action',
  'targetKind',
  'target',
  'connector',
  'before',
  'after',
  'outcome',
  'detail',
] as const;

/** `mdec audit --format json|csv [--out FILE]`: the audit log, oldest entry first. */
export function registerAuditCommand(program: Command, globals: () => GlobalFlags): void {
  program
    .command('audit')
    .description('export the audit log: configuration changes and machine actions, who, when, outcome')
    .option('--format <format>', 'json or csv', 'json')
    .option('--out <file>', 'write to this file (replaced only once the export is complete)')
    .action(async (flags: { format: string; out?: string }) => {
      const format = flags.format as (typeof AUDIT_FORMATS)[number];
      if (!AUDIT_FORMATS.includes(format))
        throw new UsageError(`--format must be json or csv (got "${flags.format}")`);
      const ctx = await openCliContext(globals(), 'existing');
      try {
        const entries = new AuditLogRepository(ctx.store).entries();
        async function* records() {
          // CSV cells hold `before` and `after` as JSON text (csvCell).
          for await (const entry of entries) yield { ...entry };
        }
        const count = await writeOutput(flags.out, (out) =>
          writeRecords(records(), format, out, { columns: async () => AUDIT_COLUMNS }),
        );
        if (flags.out) ctx.note(`wrote ${count} audit entries to ${flags.out}`);
      } finally {
        await ctx.close();
      }
    });
}
