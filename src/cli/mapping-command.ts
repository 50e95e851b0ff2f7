import type { Command } from 'commander';
import { cliActor } from '../audit/audit-actor.js';
import { changeMapping, type MappingChange } from '../audit/mapping-audit.js';
import { writeRecords } from '../export/write-records.js';
import { undocumentedSourceNote } from '../normalize/custom-field-sources.js';
import {
  CUSTOM_FIELD_ENTITIES,
  type CustomFieldEntity,
  CustomFieldError,
  normalizeTarget,
  validateCustomFieldMapping,
} from '../normalize/custom-fields.js';
import { transformMapRows } from '../normalize/transform-map.js';
import { type Connector, ConnectorRepository } from '../store/connectors/connector-repository.js';
import {
  TransformMapConflictError,
  TransformMapRepository,
} from '../store/connectors/transform-map-repository.js';
import { type CliContext, type GlobalFlags, openCliContext } from './cli-context.js';
import { printJson, writeOutput } from './output.js';
import { UsageError } from './usage-error.js';

const FORMATS = ['csv', 'json', 'ndjson'] as const;

/**
 * Opens the store, finds the connector (bad name: exit 2), runs `work`, closes. A change (`audit`
 * names it) is recorded in the audit log with the mapping before and after.
 */
async function withConnector<T>(
  globals: GlobalFlags,
  name: string,
  work: (ctx: CliContext, connector: Connector, maps: TransformMapRepository) => Promise<T>,
  audit?: MappingChange,
): Promise<T> {
  const ctx = await openCliContext(globals, 'existing');
  try {
    const connector = await new ConnectorRepository(ctx.store, ctx.secrets).byName(name);
    if (!connector) throw new UsageError(`--connector: no connector named "${name}"`);
    if (!audit) return await work(ctx, connector, new TransformMapRepository(ctx.store));
    // The change and its audit entry commit together, or neither does (docs/audit-log.md).
    return await changeMapping(ctx.store, cliActor(), connector, audit, (maps) => work(ctx, connector, maps));
  } catch (err) {
    if (err instanceof CustomFieldError || err instanceof TransformMapConflictError)
      throw new UsageError(err.message);
    throw err;
  } finally {
    await ctx.close();
  }
}

function say(ctx: CliContext, text: string, json: Record<string, unknown>): void {
  if (ctx.json) printJson(json);
  else process.stdout.write(`${text}\n`);
}

function entityOf(value: string | undefined): CustomFieldEntity {
  if (!CUSTOM_FIELD_ENTITIES.includes(value as CustomFieldEntity)) {
    throw new UsageError(
      `--entity must be ${CUSTOM_FIELD_ENTITIES.join(' or ')} (got ${value === undefined ? 'nothing' : `"${value}"`})`,
    );
  }
  return value as CustomFieldEntity;
}

/**
 * `mdec mapping` (docs/data-model.md#transform-map-and-custom-fields): download the
 * mapping in force, clone the out-of-the-box map, add and remove custom field mappings, reset.
 */
export function registerMappingCommand(program: Command, globals: () => GlobalFlags): void {
  const mapping = program
    .command('mapping')
    .description("a connector's transform map: download it, clone it, add or remove custom fields, reset it");

  mapping
    .command('show', { isDefault: true })
    .description('print the mapping in force (default rows + custom fields); the default subcommand')
    .requiredOption('--connector <name>', 'the connector')
    .option('--format <format>', 'csv, json or ndjson', 'csv')
    .option('--out <file>', 'write to this file (replaced only once complete)')
    .action(async (flags: { connector: string; format: string; out?: string }) => {
      if (!FORMATS.includes(flags.format as never)) {
        throw new UsageError(`--format must be csv, json or ndjson (got "${flags.format}")`);
      }
      await withConnector(globals(), flags.connector, async (_ctx, connector, maps) => {
        const rows = transformMapRows(await maps.customFields(connector.id));
        async function* records() {
          for (const r of rows) yield { ...r };
        }
        await writeOutput(flags.out, (out) =>
          writeRecords(records(), flags.format as (typeof FORMATS)[number], out),
        );
      });
    });

  mapping
    .command('clone')
    .description('give the connector its own copy of the out-of-the-box map (to add custom fields to)')
    .requiredOption('--connector <name>', 'the connector')
    .option('--name <name>', 'a name for the map (default: "<connector> transform map")')
    .action(async (flags: { connector: string; name?: string }) => {
      const name = (flags.name ?? `${flags.connector} transform map`).trim();
      if (name.length === 0 || name.length > 200) throw new UsageError('--name must be 1 to 200 characters');
      await withConnector(
        globals(),
        flags.connector,
        async (ctx, connector, maps) => {
          const created = await maps.clone(connector.id, name);
          const map = (await maps.get(connector.id))!;
          say(
            ctx,
            created
              ? `Cloned the default transform map for connector "${connector.name}" as "${map.name}".`
              : `Connector "${connector.name}" already has its own transform map "${map.name}" (${map.fields.length} custom fields).`,
            { connector: connector.name, map: map.name, cloned: created, customFields: map.fields.length },
          );
        },
        'mapping.clone',
      );
    });

  mapping
    .command('add')
    .description('add a custom field mapping: a source field of the MDE record into a custom attribute')
    .requiredOption('--connector <name>', 'the connector')
    .requiredOption('--entity <entity>', 'host (machine records) or finding (vulnerability rows)')
    .requiredOption(
      '--source <path>',
      'field path in the MDE record, e.g. vmMetadata.vmId or onboardingStatus',
    )
    .requiredOption('--type <type>', 'string, number, boolean, datetime or list')
    .requiredOption('--target <field>', 'customAttributes.NAME')
    .action(
      async (flags: { connector: string; entity: string; source: string; type: string; target: string }) => {
        const field = (() => {
          try {
            return validateCustomFieldMapping(flags);
          } catch (err) {
            if (err instanceof CustomFieldError) throw new UsageError(err.message);
            throw err;
          }
        })();
        await withConnector(
          globals(),
          flags.connector,
          async (ctx, connector, maps) => {
            const cloned = await maps.addField(connector.id, field, `${connector.name} transform map`);
            const note = undocumentedSourceNote(field);
            if (note) process.stderr.write(`note: ${note}\n`);
            say(
              ctx,
              `${cloned ? `Cloned the default transform map for connector "${connector.name}". ` : ''}` +
                `Mapped ${field.entity} ${field.sourceField} (${field.dataType}) to ${field.targetField}; the next sync fills it.`,
              { connector: connector.name, cloned, added: field },
            );
          },
          'mapping.add',
        );
      },
    );

  mapping
    .command('remove')
    .description('remove a custom field mapping')
    .requiredOption('--connector <name>', 'the connector')
    .requiredOption('--entity <entity>', 'host or finding')
    .requiredOption('--target <field>', 'customAttributes.NAME')
    .action(async (flags: { connector: string; entity: string; target: string }) => {
      const entity = entityOf(flags.entity);
      let target: string;
      try {
        target = normalizeTarget(entity, flags.target);
      } catch (err) {
        if (err instanceof CustomFieldError) throw new UsageError(err.message);
        throw err;
      }
      await withConnector(
        globals(),
        flags.connector,
        async (ctx, connector, maps) => {
          if (!(await maps.removeField(connector.id, entity, target))) {
            const have = (await maps.customFields(connector.id))
              .filter((f) => f.entity === entity)
              .map((f) => f.targetField);
            throw new UsageError(
              `--target: connector "${connector.name}" has no ${entity} mapping into ${target} (it has: ${have.join(', ') || 'none'})`,
            );
          }
          say(ctx, `Removed ${entity} ${target}; the next sync clears it.`, {
            connector: connector.name,
            removed: { entity, targetField: target },
          });
        },
        'mapping.remove',
      );
    });

  mapping
    .command('reset')
    .description('back to the out-of-the-box map: drop the clone and its custom fields')
    .requiredOption('--connector <name>', 'the connector')
    .action(async (flags: { connector: string }) => {
      await withConnector(
        globals(),
        flags.connector,
        async (ctx, connector, maps) => {
          const had = await maps.reset(connector.id);
          say(
            ctx,
            had
              ? `Connector "${connector.name}" uses the default transform map again; the next sync clears its custom attributes.`
              : `Connector "${connector.name}" already uses the default transform map.`,
            { connector: connector.name, reset: had },
          );
        },
        'mapping.reset',
      );
    });
}
