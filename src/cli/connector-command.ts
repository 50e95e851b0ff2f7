import type { Command } from 'commander';
import { cliActor } from '../audit/audit-actor.js';
import {
  auditConnectorAdded,
  auditConnectorEdited,
  auditConnectorRemoved,
} from '../audit/connector-audit.js';
import { connectorStatus } from '../jobs/connector-status.js';
import { describeConnector } from '../jobs/describe-connector.js';
import { REGIONS } from '../mde/cloud-endpoints.js';
import { FINDING_STATUSES } from '../normalize/connector-options.js';
import { ConnectorRepository } from '../store/connectors/connector-repository.js';
import { inStoreTransaction } from '../store/db/store-transaction.js';
import { type GlobalFlags, openCliContext } from './cli-context.js';
import {
  activeFromFlags,
  type ConnectorFlags,
  connectionFromFlags,
  connectionFromSource,
  credentialsFromFlags,
  DEVICE_SCOPE_HELP,
  INITIAL_LOOKBACK_FLAG_HELP,
  optionsFromFlags,
  STALE_DAYS_FLAG_HELP,
  scheduleFromFlags,
  scheduleWindowFromFlags,
} from './connector-flags.js';
import { printJson, printTable } from './output.js';
import { readSecretFromPrompt } from './prompt.js';
import { UsageError } from './usage-error.js';

/** Every option of docs/data-model.md#connector as a flag (names fixed by docs/operations.md). */
function connectorOptions(cmd: Command): Command {
  return cmd
    .option('--name <name>', 'unique connector name')
    .option('--description <text>', 'what this connector is for, shown by list and show (empty: none)')
    .option('--tenant-id <guid>', 'Entra tenant id')
    .option('--client-id <guid>', 'app registration (client) id')
    .option('--client-secret-env <VAR>', 'read the client secret from this environment variable')
    .option('--client-secret-file <path>', 'read the client secret from this file')
    .option('--certificate-file <path>', 'PEM certificate (and key) for certificate sign-in')
    .option('--private-key-file <path>', 'PEM private key, when not in --certificate-file')
    .option('--cloud <cloud>', 'commercial, gcc, gcc-high, dod or custom')
    .option(
      '--region <region>',
      `regional API host {region}.api.security.microsoft.com, commercial cloud only: ${REGIONS.join(', ')} (none: the global host)`,
    )
    .option('--api-url <url>', 'MDE API base URL (custom cloud)')
    .option('--login-url <url>', 'Entra sign-in base URL')
    .option('--scope <scope>', 'token scope, ending in /.default')
    .option('--network <name>', 'network the hosts belong to')
    .option(
      '--data-types <list>',
      'comma list: machines, vulnerabilities, vulnerability-definitions, software, installed-software, recommendations, alerts',
    )
    .option('--stale-days <n>', STALE_DAYS_FLAG_HELP)
    .option('--tags <list>', 'only devices with one of these tags')
    .option('--filter <odata>', 'OData $filter for /api/machines')
    .option('--initial-lookback-days <n>', INITIAL_LOOKBACK_FLAG_HELP)
    .option('--include-unscanned', 'keep devices never scanned for vulnerabilities (default)')
    .option('--no-include-unscanned', 'leave out devices never scanned for vulnerabilities')
    .option('--max-retries <n>', 'retries per request (default 10)')
    .option(
      '--schedule <spec>',
      'hourly, daily@HH:MM, weekly@mon@HH:MM, monthly@D@HH:MM, once@..., or cron (UTC)',
    )
    .option(
      '--schedule-start <date>',
      'no scheduled run before this UTC date (YYYY-MM-DD or YYYY-MM-DDTHH:MMZ)',
    )
    .option('--schedule-end <date>', 'no scheduled run from this UTC date on (none clears it)')
    .option(
      '--max-failed-runs <n>',
      'failed runs in a row after which the schedule stops until an edit or a sync by hand (default 3)',
    )
    .option('--active', 'scheduled runs happen (default)')
    .option('--inactive', 'scheduled runs are paused')
    .option('--full-sync-every-days <n>', 'a full sync every N days, deltas between (default 7)')
    .option('--delta-overlap-hours <n>', 'overlap of delta syncs (default 6)')
    .option(
      '--device-sweep-hours <n>',
      'between full syncs, read every device once this old, else only moved ones (default 24; 0 every run)',
    )
    .option('--sas-valid-hours <n>', 'validity of export links, 1-6 (default 2)')
    .option('--vulnerability-source <source>', 'export (files) or json (paged; small tenants)')
    .option('--software-id <id>', 'only this software (vendor-_-name)')
    .option('--software-name <name>', 'only software with this name')
    .option('--software-vendor <vendor>', 'only software of this vendor')
    .option('--vulnerability-rbac-group-id <n>', 'only vulnerabilities of this device group')
    .option('--vulnerability-severity <list>', 'only these severities: Low, Medium, High, Critical')
    .option(
      '--vulnerability-status <list>',
      `finding statuses kept: ${FINDING_STATUSES.join(', ')} (default both; open alone removes fixed findings)`,
    )
    .option(
      '--vulnerability-definition-filter <odata>',
      'OData $filter for /api/vulnerabilities, e.g. "cvssV3 ge 7" or "publishedOn gt 2024-01-01T00:00:00Z"',
    )
    .option(
      '--identification-rules <list>',
      'ordered rules deciding which existing host a device is: machineId, aadDeviceId, fqdn, ipMac, hostname, each optionally :on or :off',
    )
    .option('--profiles', 'create and assign dynamic OS and OS_VERSION profiles (default)')
    .option('--no-profiles', "no dynamic profiles; removes this connector's profiles, hosts stay")
    .option('--actions', 'allow machine actions (isolate, release, scan) through this connector')
    .option('--no-actions', 'no machine actions through this connector (default)');
}

async function secretFor(flags: ConnectorFlags, required: boolean) {
  const creds = credentialsFromFlags(flags, process.env);
  if (creds || !required) return creds;
  if (process.stdin.isTTY) return { clientSecret: await readSecretFromPrompt('Client secret: ') };
  throw new UsageError(
    'give the client secret with --client-secret-env VAR or --client-secret-file PATH (never as an argument)',
  );
}

export function registerConnectorCommand(program: Command, globals: () => GlobalFlags): void {
  const connector = program.command('connector').description('add, change, list, show and remove connectors');

  connectorOptions(connector.command('add').description('add a connector'))
    .option(
      '--from <connector>',
      "another collection profile over that connector's tenant: copies its tenant, app, cloud, endpoints, network and credentials (the secret stays encrypted); options come from this command",
    )
    .addHelpText('after', DEVICE_SCOPE_HELP)
    .action(async (flags: ConnectorFlags) => {
      if (!flags.name?.trim()) throw new UsageError('--name is required');
      const connection = flags.from === undefined ? connectionFromFlags(flags) : undefined;
      const options = optionsFromFlags(flags);
      const schedule = scheduleFromFlags(flags.schedule) ?? null;
      const window = scheduleWindowFromFlags(flags);
      const active = activeFromFlags(flags) ?? true;
      const ctx = await openCliContext(globals(), flags.from === undefined ? 'create' : 'existing');
      try {
        const repo = new ConnectorRepository(ctx.store, ctx.secrets);
        if (await repo.byName(flags.name))
          throw new UsageError(`--name: a connector named "${flags.name}" exists already`);
        const source = flags.from === undefined ? undefined : await repo.byName(flags.from);
        if (flags.from !== undefined && !source)
          throw new UsageError(`--from: no connector named "${flags.from}"`);
        // Asked for (perhaps at a prompt) before the transaction opens.
        const credentials = source ? { copyFrom: source.id } : (await secretFor(flags, true))!;
        const name = flags.name.trim();
        // The change and its audit entry commit together, or neither does (docs/audit-log.md).
        const created = await inStoreTransaction(ctx.store, async (tx) => {
          const made = await new ConnectorRepository(tx, ctx.secrets).create({
            name,
            network: flags.network ?? source?.network ?? 'default',
            ...(source ? connectionFromSource(flags, source) : connection!),
            active,
            schedule,
            ...window,
            options,
            credentials,
          });
          await auditConnectorAdded(tx, cliActor(), made);
          return made;
        });
        if (ctx.json) printJson(describeConnector(created));
        else
          process.stdout.write(
            source
              ? `Added connector "${created.name}" (${created.cloud}, tenant ${created.tenantId}) with the credentials of "${source.name}", copied encrypted.\n`
              : `Added connector "${created.name}" (${created.cloud}, tenant ${created.tenantId}).\n`,
          );
      } finally {
        await ctx.close();
      }
    });

  connectorOptions(
    connector
      .command('edit')
      .description('change a connector; name the one to change (NAME or --name)')
      .argument('[name]', 'the connector (or --name)'),
  )
    .addHelpText('after', DEVICE_SCOPE_HELP)
    .option('--rename <name>', 'give the connector a new name')
    .action(async (positional: string | undefined, flags: ConnectorFlags & { rename?: string }) => {
      flags.name = connectorNameOf(positional, flags.name, 'the connector to change');
      const ctx = await openCliContext(globals(), 'existing');
      try {
        const repo = new ConnectorRepository(ctx.store, ctx.secrets);
        const current = await repo.byName(flags.name);
        if (!current) throw new UsageError(`--name: no connector named "${flags.name}"`);
        if (flags.rename && (await repo.byName(flags.rename))) {
          throw new UsageError(`--rename: a connector named "${flags.rename}" exists already`);
        }
        const connection = connectionFromFlags(flags, current);
        const options = optionsFromFlags(flags, current.options);
        const schedule = scheduleFromFlags(flags.schedule);
        const window = scheduleWindowFromFlags(flags, current);
        const active = activeFromFlags(flags);
        const credentials = await secretFor(flags, false);
        const updated = await inStoreTransaction(ctx.store, async (tx) => {
          const changed = await new ConnectorRepository(tx, ctx.secrets).update(current.id, {
            ...(flags.rename ? { name: flags.rename } : {}),
            ...(flags.network ? { network: flags.network } : {}),
            ...connection,
            options,
            ...(schedule !== undefined ? { schedule } : {}),
            ...window,
            ...(active !== undefined ? { active } : {}),
            ...(credentials ? { credentials } : {}),
          });
          await auditConnectorEdited(tx, cliActor(), current, changed, credentials !== undefined);
          return changed;
        });
        if (ctx.json) printJson(describeConnector(updated));
        else process.stdout.write(`Updated connector "${updated.name}".\n`);
      } finally {
        await ctx.close();
      }
    });

  connector
    .command('list')
    .description('list connectors')
    .action(async () => {
      const ctx = await openCliContext(globals(), 'existing');
      try {
        const all = await new ConnectorRepository(ctx.store, ctx.secrets).list();
        const statuses = await Promise.all(all.map((c) => connectorStatus(ctx.store, c)));
        if (ctx.json) printJson(all.map((c, i) => describeConnector(c, statuses[i])));
        else if (all.length === 0)
          process.stdout.write('No connectors yet: add one with `mdec connector add`.\n');
        else {
          printTable(
            [
              'name',
              'description',
              'cloud',
              'tenant',
              'state',
              'active',
              'schedule',
              'next run',
              'last run',
              'data types',
            ],
            all.map((c, i) => {
              const status = statuses[i]!;
              return [
                c.name,
                c.options.description ?? '-',
                c.cloud,
                c.tenantId,
                status.state,
                c.active ? 'yes' : status.suspended ? 'no (suspended)' : 'no',
                c.schedule ?? '-',
                status.nextRunAt ?? (status.suspended ? 'suspended' : '-'),
                status.lastRun ? `${status.lastRun.id} ${status.lastRun.state}` : '-',
                c.options.dataTypes.join(','),
              ];
            }),
          );
        }
      } finally {
        await ctx.close();
      }
    });

  connector
    .command('show')
    .description('show one connector (never its secret)')
    .argument('[name]', 'the connector (or --name)')
    .option('--name <name>', 'the connector')
    .action(async (positional: string | undefined, flags: { name?: string }) => {
      const name = connectorNameOf(positional, flags.name, 'the connector to show');
      const ctx = await openCliContext(globals(), 'existing');
      try {
        const c = await new ConnectorRepository(ctx.store, ctx.secrets).byName(name);
        if (!c) throw new UsageError(`--name: no connector named "${name}"`);
        const described = describeConnector(c, await connectorStatus(ctx.store, c));
        if (ctx.json) printJson(described);
        else {
          for (const [k, v] of Object.entries(described)) {
            process.stdout.write(
              `${k.padEnd(15)} ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}\n`,
            );
          }
        }
      } finally {
        await ctx.close();
      }
    });

  connector
    .command('remove')
    .description('remove a connector and the data it brought in; its hosts stay, marked retained')
    .argument('[name]', 'the connector (or --name)')
    .option('--name <name>', 'the connector')
    .option('--purge-hosts', 'also delete the hosts no other connector reports')
    .action(async (positional: string | undefined, flags: { name?: string; purgeHosts?: boolean }) => {
      const name = connectorNameOf(positional, flags.name, 'the connector to remove');
      const ctx = await openCliContext(globals(), 'existing');
      try {
        const repo = new ConnectorRepository(ctx.store, ctx.secrets);
        const c = await repo.byName(name);
        if (!c) throw new UsageError(`--name: no connector named "${name}"`);
        await inStoreTransaction(ctx.store, async (tx) => {
          await new ConnectorRepository(tx, ctx.secrets).remove(c.id, {
            purgeHosts: flags.purgeHosts === true,
          });
          await auditConnectorRemoved(tx, cliActor(), c, flags.purgeHosts === true);
        });
        if (ctx.json) printJson({ removed: c.name, hostsPurged: flags.purgeHosts === true });
        else
          process.stdout.write(
            `Removed connector "${c.name}" and its data; ${flags.purgeHosts ? 'hosts only it reported were deleted' : 'its hosts stay, marked retained'}.\n`,
          );
      } finally {
        await ctx.close();
      }
    });
}

/**
 * The connector a command names, as `mdec connector show NAME` or `--name NAME` (either, not two
 * different ones).
 */
function connectorNameOf(positional: string | undefined, flag: string | undefined, what: string): string {
  if (positional !== undefined && flag !== undefined && positional !== flag)
    throw new UsageError(`the connector is named twice, "${positional}" and --name "${flag}": give one`);
  const name = (positional ?? flag)?.trim();
  if (!name) throw new UsageError(`--name is required: ${what}`);
  return name;
}
