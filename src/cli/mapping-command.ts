import type { Command } from 'commander';
import { writeRecords } from '../export/write-records.js';
import { DEFAULT_FIELD_MAPPING } from '../normalize/field-mapping.js';
import { ConnectorRepository } from '../store/connector-repository.js';
import { type GlobalFlags, openCliContext } from './cli-context.js';
import { UsageError } from './usage-error.js';

async function* rows() {
  for (const m of DEFAULT_FIELD_MAPPING) {
    yield {
      entity: m.entity,
      sourceField: m.sourceField,
      dataType: m.dataType,
      targetField: m.targetField,
      note: m.note ?? '',
    };
  }
}

/** `mdec mapping --connector NAME --format csv`: the field mapping in force (seed 001 "Download mappings"). */
export function registerMappingCommand(program: Command, globals: () => GlobalFlags): void {
  program
    .command('mapping')
    .description('print the Defender-to-model field mapping of a connector')
    .requiredOption('--connector <name>', 'the connector')
    .option('--format <format>', 'csv, json or ndjson', 'csv')
    .action(async (flags: { connector: string; format: string }) => {
      if (!['csv', 'json', 'ndjson'].includes(flags.format)) {
        throw new UsageError(`--format must be csv, json or ndjson (got "${flags.format}")`);
      }
      const ctx = await openCliContext(globals());
      try {
        if (!(await new ConnectorRepository(ctx.store, ctx.secrets).byName(flags.connector))) {
          throw new UsageError(`--connector: no connector named "${flags.connector}"`);
        }
        // Custom field mappings per connector come with the transform maps (issue 4).
        await writeRecords(rows(), flags.format as 'csv' | 'json' | 'ndjson', process.stdout);
      } finally {
        await ctx.close();
      }
    });
}
