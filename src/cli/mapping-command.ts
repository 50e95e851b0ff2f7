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
import { type GlobalFlags, openCliContext } from './cli-context.js';
import { printJson, writeOutput } from './output.js';
import { UsageError } from './usage-error.js';

const FORMATS = ['csv', 'json', 'ndjson'] as const;

/** What a mapping change tells the user once it has committed: a line of text, or JSON with `--json`. */
interface ChangeReport {
  text: string;
  json: Record<string, unknown>;
}

/**
 * Opens the store, finds the connector (bad name: exit 2), runs `work`, closes. A change (`audit`
 * names it) is recorded in the audit log with the mapping before and after, and its report is
 * printed only after the change and its entry have committed: a change that rolls back prints no
 * success.
 */
async function withConnector<T>(
  globals: GlobalFlags,
  name: string,
  work: (connector: Connector, maps: TransformMapRepository) => Promise<T>,
  audit?: MappingChange,
): Promise<T> {
  const ctx = await openCliContext(globals, 'existing');
  try {
    const connector = await new ConnectorRepository(ctx.store, ctx.secrets).byName(name);
    if (!connector) throw new UsageError(`--connector: no connector named "${name}"`);
    if (!audit) return await work(connector, new TransformMapRepository(ctx.store));
    // The change and its audit entry commit together, or neither does (docs/audit-log.md).
    return await changeMapping(ctx.store, cliActor(), connector, audit, (maps) => work(connector, maps));
  } catch (err) {
    if (err instanceof CustomFieldError || err instanceof TransformMapConflictError)
      throw new UsageError(err.message);
    throw err;
  } finally {
    await ctx.close();
  }
}

/** Runs a mapping change named `audit` (see withConnector) and prints its report once committed. */
async function changeAndReport(
  globals: GlobalFlags,
  name: string,
  audit: MappingChange,
  work: (connector: Connector, maps: TransformMapRepository) => Promise<ChangeReport>,
): Promise<void> {
  const report = await withConnector(globals, name, work, audit);
  if (globals.json) printJson(report.json);
  else process.stdout.write(`${report.text}\n`);
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
      await withConnector(globals(), flags.connector, async (connector, maps) => {
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
      await changeAndReport(globals(), flags.connector, 'mapping.clone', async (connector, maps) => {
        const created = await maps.clone(connector.id, name);
        const map = (await maps.get(connector.id))!;
        return {
          text: created
            ? `Cloned the default transform map for connector "${connector.name}" as "${map.name}".`
            : `Connector "${connector.name}" already has its own transform map "${map.name}" (${map.fields.length} custom fields).`,
          json: {
            connector: connector.name,
            map: map.name,
            cloned: created,
            customFields: map.fields.length,
          },
        };
      });
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
        const note = undocumentedSourceNote(field);
        if (note) process.stderr.write(`note: ${note}\n`);
        await changeAndReport(globals(), flags.connector, 'mapping.add', async (connector, maps) => {
          const cloned = await maps.addField(connector.id, field, `${connector.name} transform map`);
          return {
            text:
              `${cloned ? `Cloned the default transform map for connector "${connector.name}". ` : ''}` +
              `Mapped ${field.entity} ${field.sourceField} (${field.dataType}) to ${field.targetField}; the next sync fills it.`,
            json: { connector: connector.name, cloned, added: field },
          };
        });
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
      await changeAndReport(globals(), flags.connector, 'mapping.remove', async (connector, maps) => {
        if (!(await maps.removeField(connector.id, entity, target))) {
          const have = (await maps.customFields(connector.id))
            .filter((f) => f.entity === entity)
            .map((f) => f.targetField);
          throw new UsageError(
            `--target: connector "${connector.name}" has no ${entity} mapping into ${target} (it has: ${have.join(', ') || 'none'})`,
          );
        }
        return {
          text: `Removed ${entity} ${target}; the next sync clears it.`,
          json: { connector: connector.name, removed: { entity, targetField: target } },
        };
      });
    });

  mapping
    .command('reset')
    .description('back to the out-of-the-box map: drop the clone and its custom fields')
    .requiredOption('--connector <name>', 'the connector')
    .action(async (flags: { connector: string }) => {
      await changeAndReport(globals(), flags.connector, 'mapping.reset', async (connector, maps) => {
        const had = await maps.reset(connector.id);
        return {
          text: had
            ? `Connector "${connector.name}" uses the default transform map again; the next sync clears its custom attributes.`
            : `Connector "${connector.name}" already uses the default transform map.`,
          json: { connector: connector.name, reset: had },
        };
      });
    });
}
