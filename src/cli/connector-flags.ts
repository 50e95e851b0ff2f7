import {
  type Connection,
  ConnectorInputError,
  validateConnection,
  validateSchedule,
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
  identificationRules?: string;
  profiles?: boolean;
}

/** `--stale-days` in the options list of `connector add|edit --help`. */
export const STALE_DAYS_FLAG_HELP =
  'leave out devices that have not reported for more than n days (0, the default: keep every device); see below';

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
  const types = list(flags.dataTypes);
  if (types) {
    const bad = types.filter((t) => !(DATA_TYPES as readonly string[]).includes(t));
    if (bad.length)
      throw new UsageError(`--data-types: unknown "${bad.join('", "')}"; allowed: ${DATA_TYPES.join(', ')}`);
  }
  set('dataTypes', types);
  set('staleDays', int('stale-days', flags.staleDays));
  set('tags', list(flags.tags));
  if (flags.filter !== undefined) input.filter = flags.filter.trim() === '' ? undefined : flags.filter;
  set('initialLookbackDays', int('initial-lookback-days', flags.initialLookbackDays));
  set('includeUnscanned', flags.includeUnscanned);
  set('maxRetries', int('max-retries', flags.maxRetries));
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
  if (flags.identificationRules !== undefined) {
    try {
      input.identificationRules = parseIdentificationRulesFlag(flags.identificationRules);
    } catch (err) {
      throw new UsageError(`--identification-rules: ${(err as Error).message}`);
    }
  }
  set('profiles', flags.profiles);
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

export function scheduleFromFlags(value: string | undefined): string | null | undefined {
  try {
    return validateSchedule(value);
  } catch (err) {
    return asUsage(err);
  }
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
