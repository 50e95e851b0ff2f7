import { type FaultRule, FaultSpecError, parseFaultSpec } from './http/faults.js';
import type { RateLimitMode } from './http/rate-limiter.js';

/**
 * Every permission the connector may need (docs/mde-api.md#permissions); the default app is granted all of
 * them.
 */
export const ALL_ROLES = [
  'Machine.Read.All',
  'Alert.Read.All',
  'Vulnerability.Read.All',
  'Software.Read.All',
  'SecurityRecommendation.Read.All',
  'User.Read.All',
  'Machine.Isolate',
  'Machine.Scan',
] as const;

export interface SimulatorApp {
  clientId: string;
  clientSecret?: string;
  certificatePem?: string;
  roles: string[];
  consented: boolean;
}

export interface SimulatorOptions {
  host: string;
  port: number;
  devices: number;
  seed: number;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  rateLimits: RateLimitMode;
  faults: FaultRule[];
  /**
   * Access-token lifetime; short values let tests see expiry (Entra's is one hour, docs/mde-api.md#sign-in).
   */
  tokenLifetimeSeconds: number;
  /** Simulated time zero; by default the current hour, so timestamps look current. */
  originMs: number;
  /** Whether simulated time also moves with real time (on for the CLI, off for tests). */
  followRealTime: boolean;
  tls: 'off' | 'generate' | { certPem: string; keyPem: string };
  /** Devices per export file; small values give small tenants several files. */
  devicesPerFile: number;
  /**
   * Seconds an export snapshot's files take to appear after the first request for them, on top of
   * writing them: Microsoft builds them on its side, which costs the client time but no CPU.
   */
  exportDelaySeconds: number;
  /** Where export files are built; a fresh temporary folder by default. */
  cacheDir?: string;
  /** More app registrations, e.g. one without consent or without the vulnerability role. */
  extraApps: SimulatorApp[];
  /** Roles of the default app. */
  roles: string[];
}

export class OptionError extends Error {}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function defaultSimulatorOptions(): SimulatorOptions {
  const hour = 3600_000;
  return {
    host: '127.0.0.1',
    port: 0,
    devices: 1000,
    seed: 1,
    tenantId: '11111111-2222-4333-8444-555555555555',
    clientId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
    clientSecret: 'simulator-secret-change-me',
    rateLimits: 'real',
    faults: [],
    tokenLifetimeSeconds: 3600,
    originMs: Math.floor(Date.now() / hour) * hour,
    followRealTime: false,
    tls: 'off',
    devicesPerFile: 5000,
    exportDelaySeconds: 0,
    extraApps: [],
    roles: [...ALL_ROLES],
  };
}

function int(name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new OptionError(`--${name} must be an integer from ${min} to ${max} (got "${value}")`);
  }
  return Number(value);
}

/** Raw flag values from the CLI, as strings; checked and turned into options here. */
export interface SimulatorFlags {
  port?: string;
  host?: string;
  devices?: string;
  seed?: string;
  tenantId?: string;
  clientId?: string;
  clientSecret?: string;
  rateLimits?: string;
  faults?: string;
  tokenLifetime?: string;
  startTime?: string;
  tls?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  devicesPerFile?: string;
  exportDelay?: string;
}

/** Validates CLI flags; each error names the flag and what it allows (exit code 2 upstream). */
export function simulatorOptionsFromFlags(
  flags: SimulatorFlags,
  readFile: (path: string) => string,
): SimulatorOptions {
  const o = defaultSimulatorOptions();
  o.followRealTime = true;
  if (flags.port !== undefined) o.port = int('port', flags.port, 0, 65535);
  if (flags.host !== undefined) {
    if (!flags.host.trim()) throw new OptionError('--host must not be empty');
    o.host = flags.host;
  }
  if (flags.devices !== undefined) o.devices = int('devices', flags.devices, 0, 1_000_000);
  if (flags.seed !== undefined) o.seed = int('seed', flags.seed, 0, 2 ** 31 - 1);
  if (flags.tenantId !== undefined) {
    if (!GUID.test(flags.tenantId)) throw new OptionError('--tenant-id must be a GUID');
    o.tenantId = flags.tenantId.toLowerCase();
  }
  if (flags.clientId !== undefined) {
    if (!GUID.test(flags.clientId)) throw new OptionError('--client-id must be a GUID');
    o.clientId = flags.clientId.toLowerCase();
  }
  if (flags.clientSecret !== undefined) {
    if (flags.clientSecret.length < 8) throw new OptionError('--client-secret must be at least 8 characters');
    o.clientSecret = flags.clientSecret;
  }
  if (flags.rateLimits !== undefined) {
    if (flags.rateLimits !== 'real' && flags.rateLimits !== 'off') {
      throw new OptionError(`--rate-limits must be "real" or "off" (got "${flags.rateLimits}")`);
    }
    o.rateLimits = flags.rateLimits;
  }
  if (flags.faults !== undefined) {
    try {
      o.faults = parseFaultSpec(flags.faults);
    } catch (err) {
      if (err instanceof FaultSpecError) throw new OptionError(`--faults: ${err.message}`);
      throw err;
    }
  }
  if (flags.tokenLifetime !== undefined)
    o.tokenLifetimeSeconds = int('token-lifetime', flags.tokenLifetime, 5, 86_400);
  if (flags.startTime !== undefined) {
    const t = Date.parse(flags.startTime);
    if (Number.isNaN(t))
      throw new OptionError(`--start-time must be an ISO-8601 date time (got "${flags.startTime}")`);
    o.originMs = t;
  }
  if (flags.devicesPerFile !== undefined)
    o.devicesPerFile = int('devices-per-file', flags.devicesPerFile, 1, 1_000_000);
  if (flags.exportDelay !== undefined) o.exportDelaySeconds = int('export-delay', flags.exportDelay, 0, 3600);
  if (flags.tlsCert !== undefined || flags.tlsKey !== undefined) {
    if (!flags.tlsCert || !flags.tlsKey)
      throw new OptionError('--tls-cert and --tls-key must be given together');
    o.tls = { certPem: readFile(flags.tlsCert), keyPem: readFile(flags.tlsKey) };
  } else if (flags.tls) {
    o.tls = 'generate';
  }
  return o;
}
