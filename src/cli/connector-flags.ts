import { parseSchedule, ScheduleError } from '../jobs/schedule.js';
import {
  type Connection,
  ConnectorInputError,
  validateConnection,
} from '../normalize/connector-connection.js';
import {
  type ConnectorOptions,
  DATA_TYPES,
  OptionsError,
  parseConnectorOptions,
} from '../normalize/connector-options.js';
import { parseIdentificationRulesFlag } from '../normalize/identification-rules-option.js';
import type { ConnectorCredentials } from '../store/connectors/connector-repository.js';
import { readFlagFile } from './flag-files.js';
import { UsageError } from './usage-error.js';

/** The flags of `mdec connector add|edit` (docs/operations.md), as commander hands them over. */
export interface ConnectorFlags {
  name?: string;
  description?: string;
  from?: string;
  region?: string;
  tenantId?: string;
  clientId?: string;
  clientSecretEnv?: string;
  clientSecretFile?: string;
  certificateFile?: string;
  privateKeyFile?: string;
  cloud?: string;
  apiUrl?: string;
  loginUrl?: string;
  scope?: string;
  network?: string;
  dataTypes?: string;
  staleDays?: string;
  tags?: string;
  filter?: string;
  initialLookbackDays?: string;
  includeUnscanned?: boolean;
  maxRetries?: string;
  schedule?: string;
  scheduleStart?: string;
  scheduleEnd?: string;
  maxFailedRuns?: string;
  active?: boolean;
  inactive?: boolean;
  fullSyncEveryDays?: string;
  deltaOverlapHours?: string;
  deviceSweepHours?: string;
  sasValidHours?: string;
  vulnerabilitySource?: string;
  softwareId?: string;
  softwareName?: string;
  softwareVendor?: string;
  vulnerabilityRbacGroupId?: string;
  vulnerabilitySeverity?: string;
  vulnerabilityStatus?: string;
  vulnerabilityDefinitionFilter?: string;
  identificationRules?: string;
  profiles?: boolean;
  actions?: boolean;
}

/** `--stale-days` in the options list of `connector add|edit --help`. */
export const STALE_DAYS_FLAG_HELP =
  'leave out devices that have not reported for more than n days (0, the default: keep every device); see below';

/** `--initial-lookback-days` in the options list of `connector add|edit --help`. */
export const INITIAL_LOOKBACK_FLAG_HELP =
  'first sync only: import devices seen and alerts raised within n days (30-365; none: every device, alerts of 30 days); see below';

/** What the device scope options do on a first and on later syncs, after the options list. */
export const DEVICE_SCOPE_HELP = `
Which devices a connector imports:
  --stale-days <n>  A device whose last report (lastSeen) is more than n days old when a sync reads
                    it is not imported if the store does not hold it yet, and neither are its
                    findings and alerts.
                    First sync: every such device is left out.
                    Later syncs: devices imported earlier stay and keep being updated; once they
                    pass n days their host is marked stale (active again when they report), and
                    their findings stay. A device the store does not hold yet is imported only if
                    it reported within n days.
                    Changing it takes effect at the next sync, which reads every device again.
  --initial-lookback-days <n>
                    First sync only: only devices last seen within n days are imported, with
                    their findings, and alerts of those n days. Later syncs are not bounded by it.
                    Not set: the first sync reads alerts of the last 30 days and every device
                    (--stale-days alone decides which devices are left out).
  --tags, --filter  Only devices with one of the tags, or matching the OData filter, are imported,
                    with their findings and alerts.
  The summary of \`mdec sync\` counts every record left out and says which option left it out.
`;

function int(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim()))
    throw new UsageError(`--${flag} must be a whole number (got "${value}")`);
  return Number(value);
}

function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** Options from flags layered over `base` (the stored options on edit, none on add). */
export function optionsFromFlags(
  flags: ConnectorFlags,
  base: Partial<ConnectorOptions> = {},
): ConnectorOptions {
  const input: Record<string, unknown> = { ...base };
  const set = (key: string, value: unknown) => {
    if (value !== undefined) input[key] = value;
  };
  /** Text options: an empty value clears the option. */
  const setText = (key: string, value: string | undefined) => {
    if (value !== undefined) input[key] = value.trim() === '' ? undefined : value;
  };
  setText('description', flags.description);
  const types = list(flags.dataTypes);
  if (types) {
    const bad = types.filter((t) => !(DATA_TYPES as readonly string[]).includes(t));
    if (bad.length)
      throw new UsageError(`--data-types: unknown "${bad.join('", "')}"; allowed: ${DATA_TYPES.join(', ')}`);
  }
  set('dataTypes', types);
  set('staleDays', int('stale-days', flags.staleDays));
  set('tags', list(flags.tags));
  setText('filter', flags.filter);
  if (flags.initialLookbackDays?.trim().toLowerCase() === 'none') input.initialLookbackDays = undefined;
  else set('initialLookbackDays', int('initial-lookback-days', flags.initialLookbackDays));
  set('includeUnscanned', flags.includeUnscanned);
  set('maxRetries', int('max-retries', flags.maxRetries));
  set('maxFailedRuns', int('max-failed-runs', flags.maxFailedRuns));
  set('fullSyncEveryDays', int('full-sync-every-days', flags.fullSyncEveryDays));
  set('deltaOverlapHours', int('delta-overlap-hours', flags.deltaOverlapHours));
  set('deviceSweepHours', int('device-sweep-hours', flags.deviceSweepHours));
  set('sasValidHours', int('sas-valid-hours', flags.sasValidHours));
  set('vulnerabilitySource', flags.vulnerabilitySource);
  set('softwareId', flags.softwareId);
  set('softwareName', flags.softwareName);
  set('softwareVendor', flags.softwareVendor);
  set('vulnerabilityRbacGroupId', int('vulnerability-rbac-group-id', flags.vulnerabilityRbacGroupId));
  set('vulnerabilitySeverity', list(flags.vulnerabilitySeverity));
  set('vulnerabilityStatus', list(flags.vulnerabilityStatus));
  setText('vulnerabilityDefinitionFilter', flags.vulnerabilityDefinitionFilter);
  if (flags.identificationRules !== undefined) {
    try {
      input.identificationRules = parseIdentificationRulesFlag(flags.identificationRules);
    } catch (err) {
      throw new UsageError(`--identification-rules: ${(err as Error).message}`);
    }
  }
  set('profiles', flags.profiles);
  set('actions', flags.actions);
  try {
    return parseConnectorOptions(input);
  } catch (err) {
    if (err instanceof OptionsError) throw new UsageError(toFlagNames(err.message));
    throw err;
  }
}

/** Option names in messages as the flags a user typed: `staleDays` → `--stale-days`. */
function toFlagNames(message: string): string {
  return message.replace(/(^|; )([a-zA-Z]+)(\.\d+)?:/g, (_m, sep: string, key: string) => {
    return `${sep}--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}:`;
  });
}

/** The secret from an environment variable or a file, never from a plain argument (docs/operations.md). */
export function credentialsFromFlags(
  flags: ConnectorFlags,
  env: NodeJS.ProcessEnv,
): ConnectorCredentials | undefined {
  const sources = [flags.clientSecretEnv, flags.clientSecretFile, flags.certificateFile].filter(
    (v) => v !== undefined,
  );
  if (sources.length > 1) {
    throw new UsageError('give one of --client-secret-env, --client-secret-file or --certificate-file');
  }
  if (flags.clientSecretEnv !== undefined) {
    const value = env[flags.clientSecretEnv];
    if (!value)
      throw new UsageError(
        `--client-secret-env: the environment variable ${flags.clientSecretEnv} is not set`,
      );
    return { clientSecret: value };
  }
  if (flags.clientSecretFile !== undefined) {
    const value = readText('client-secret-file', flags.clientSecretFile).trim();
    if (!value) throw new UsageError(`--client-secret-file: ${flags.clientSecretFile} is empty`);
    return { clientSecret: value };
  }
  if (flags.certificateFile !== undefined) {
    const certificatePem = readText('certificate-file', flags.certificateFile);
    const privateKeyPem = readText('private-key-file', flags.privateKeyFile ?? flags.certificateFile);
    if (!certificatePem.includes('BEGIN CERTIFICATE'))
      throw new UsageError('--certificate-file holds no PEM certificate');
    if (!/BEGIN (RSA |EC )?PRIVATE KEY/.test(privateKeyPem)) {
      throw new UsageError('--private-key-file (or --certificate-file) holds no PEM private key');
    }
    return { certificate: { certificatePem, privateKeyPem } };
  }
  return undefined;
}

function readText(flag: string, path: string): string {
  return readFlagFile(`--${flag}`, path);
}

/** A connector setting refused by the shared validation, as the flag that gave it. */
function asUsage(err: unknown): never {
  if (err instanceof ConnectorInputError)
    throw new UsageError(`--${kebab(err.field)}${err.joiner}${err.text}`);
  throw err;
}

/** Checks identity, cloud and endpoints; shared by add and edit. */
export function connectionFromFlags(flags: ConnectorFlags, base?: Connection): Connection {
  try {
    return validateConnection(flags, base);
  } catch (err) {
    return asUsage(err);
  }
}

/** The connection flags `--from` replaces: a copied profile signs in exactly as its source does. */
const CONNECTION_FLAGS = [
  'tenantId',
  'clientId',
  'clientSecretEnv',
  'clientSecretFile',
  'certificateFile',
  'privateKeyFile',
  'cloud',
  'region',
  'apiUrl',
  'loginUrl',
  'scope',
] as const satisfies ReadonlyArray<keyof ConnectorFlags>;

/** The connection of `add --from`: the source's, refusing flags that would change it. */
export function connectionFromSource(flags: ConnectorFlags, source: Connection): Connection {
  const given = CONNECTION_FLAGS.filter((f) => flags[f] !== undefined).map((f) => `--${kebab(f)}`);
  if (given.length > 0) {
    throw new UsageError(
      `--from copies the tenant, app, cloud, endpoints and credentials of "${flags.from}"; drop ${given.join(', ')} (change them afterwards with \`mdec connector edit\`)`,
    );
  }
  const { tenantId, clientId, cloud, apiUrl, loginUrl, scope } = source;
  return { tenantId, clientId, cloud, apiUrl, loginUrl, scope };
}

export function scheduleFromFlags(value: string | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === '' || value === 'none') return null;
  try {
    return parseSchedule(value);
  } catch (err) {
    if (err instanceof ScheduleError) throw new UsageError(`--schedule: ${err.message}`);
    throw err;
  }
}

/** `--schedule-start` / `--schedule-end`: a UTC date or date and time; `none` clears it. */
export function scheduleDateFromFlag(flag: string, value: string | undefined): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === '' || value === 'none') return null;
  const v = value.trim();
  const at = /^\d{4}-\d\d-\d\d$/.test(v)
    ? new Date(`${v}T00:00:00Z`)
    : /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?Z$/i.test(v)
      ? new Date(v.toUpperCase())
      : undefined;
  if (!at || Number.isNaN(at.getTime()))
    throw new UsageError(`--${flag} must be a UTC date YYYY-MM-DD or YYYY-MM-DDTHH:MMZ (got "${value}")`);
  return at.toISOString();
}

/** The schedule's window from flags over the stored one; the start must come before the end. */
export function scheduleWindowFromFlags(
  flags: ConnectorFlags,
  base: { scheduleStart: string | null; scheduleEnd: string | null } = {
    scheduleStart: null,
    scheduleEnd: null,
  },
): { scheduleStart?: string | null; scheduleEnd?: string | null } {
  const scheduleStart = scheduleDateFromFlag('schedule-start', flags.scheduleStart);
  const scheduleEnd = scheduleDateFromFlag('schedule-end', flags.scheduleEnd);
  const start = scheduleStart === undefined ? base.scheduleStart : scheduleStart;
  const end = scheduleEnd === undefined ? base.scheduleEnd : scheduleEnd;
  if (start && end && start >= end)
    throw new UsageError(`--schedule-end (${end}) must come after --schedule-start (${start})`);
  return {
    ...(scheduleStart !== undefined ? { scheduleStart } : {}),
    ...(scheduleEnd !== undefined ? { scheduleEnd } : {}),
  };
}

export function activeFromFlags(flags: ConnectorFlags): boolean | undefined {
  if (flags.active && flags.inactive) throw new UsageError('give --active or --inactive, not both');
  if (flags.active) return true;
  if (flags.inactive) return false;
  return undefined;
}

function kebab(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
