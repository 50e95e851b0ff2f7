/**
 * Sign-in host, API host and token scope per Microsoft cloud (docs/mde-api.md#clouds-and-hosts, #sign-in),
 * and the checks a connector's URLs must pass before any secret is sent to them.
 */
import { isIP } from 'node:net';
import { ConfigError } from './mde-errors.js';

/** The clouds a connector can target (docs/data-model.md#connector: connector.cloud). */
export const CLOUDS = ['commercial', 'gcc', 'gcc-high', 'dod', 'custom'] as const;

/** One of {@link CLOUDS}. */
export type Cloud = (typeof CLOUDS)[number];

/** Where to sign in, where to call, and which token to ask for. URLs have no trailing slash. */
export interface CloudEndpoints {
  cloud: Cloud;
  /** Entra ID authority host, e.g. `https://login.microsoftonline.com`. */
  loginUrl: string;
  /** MDE API base, e.g. `https://api.security.microsoft.com`; paths start with `/api`. */
  apiUrl: string;
  /** The v2 client-credentials scope, ending in `/.default`. */
  scope: string;
}

/** WindowsDefenderATP scope for commercial and GCC (docs/mde-api.md#sign-in: not the XDR scope). */
const COMMERCIAL_SCOPE = 'https://api.securitycenter.microsoft.com/.default';
/**
 * GCC High and DoD sign in at `.us` and ask for the `.us` resource (docs/mde-api.md#sign-in, XSOAR PR
 * #34360).
 */
const GOV_SCOPE = 'https://securitycenter.onmicrosoft.us/windowsatpservice/.default';

/** The built-in clouds; `custom` takes all three values from the connector. */
export const CLOUD_PRESETS = {
  commercial: {
    loginUrl: 'https://login.microsoftonline.com',
    apiUrl: 'https://api.security.microsoft.com',
    scope: COMMERCIAL_SCOPE,
  },
  // docs/mde-api.md#clouds-and-hosts (gov.md): GCC signs in at the commercial authority but calls its own API
  // host.
  gcc: {
    loginUrl: 'https://login.microsoftonline.com',
    apiUrl: 'https://api-gcc.securitycenter.microsoft.us',
    scope: COMMERCIAL_SCOPE,
  },
  'gcc-high': {
    loginUrl: 'https://login.microsoftonline.us',
    apiUrl: 'https://api-gov.securitycenter.microsoft.us',
    scope: GOV_SCOPE,
  },
  dod: {
    loginUrl: 'https://login.microsoftonline.us',
    apiUrl: 'https://api-gov.securitycenter.microsoft.us',
    scope: GOV_SCOPE,
  },
} as const satisfies Record<Exclude<Cloud, 'custom'>, Omit<CloudEndpoints, 'cloud'>>;

/**
 * Microsoft's regional API hosts, `{region}.api.security.microsoft.com` (docs/mde-api.md#clouds-and-hosts);
 * commercial cloud only, the government clouds have none.
 */
export const REGIONS = ['us', 'eu', 'uk', 'au', 'swa', 'ina', 'aea'] as const;

/** One of {@link REGIONS}. */
export type Region = (typeof REGIONS)[number];

/** The API base of a region. */
export function regionalApiUrl(region: Region): string {
  return `https://${region}.api.security.microsoft.com`;
}

/** The region whose host an API base URL is, if it is one. */
export function regionOfApiUrl(apiUrl: string): Region | undefined {
  const match = /^https:\/\/([a-z]+)\.api\.security\.microsoft\.com$/i.exec(apiUrl);
  const name = match?.[1]?.toLowerCase();
  return (REGIONS as readonly string[]).includes(name ?? '') ? (name as Region) : undefined;
}

/** Input of {@link resolveEndpoints}: a cloud, and overrides (required for `custom`). */
export interface ResolveEndpointsInput {
  cloud: Cloud | string;
  apiUrl?: string | undefined;
  loginUrl?: string | undefined;
  scope?: string | undefined;
  /** A regional API host instead of the global one; commercial only, and not with `apiUrl`. */
  region?: string | undefined;
}

/**
 * The endpoints of a cloud, with any override applied (e.g. a regional API host such as
 * `https://eu.api.security.microsoft.com`).
 *
 * @throws ConfigError naming the field: an unknown cloud, a `custom` cloud missing a value, a URL that
 *   does not parse, has a query, or uses plain `http://` to a host that is not loopback, or a scope
 *   that does not end in `/.default`.
 */
export function resolveEndpoints(input: ResolveEndpointsInput): CloudEndpoints {
  if (!(CLOUDS as readonly string[]).includes(input.cloud)) {
    throw new ConfigError('cloud', `cloud must be one of ${CLOUDS.join(', ')} (got "${input.cloud}")`);
  }
  const cloud = input.cloud as Cloud;
  const apiUrl =
    input.region === undefined ? input.apiUrl : checkedRegionalApiUrl(cloud, input.region, input.apiUrl);
  const preset = cloud === 'custom' ? undefined : CLOUD_PRESETS[cloud];
  const pick = (field: 'apiUrl' | 'loginUrl' | 'scope'): string => {
    const given = (field === 'apiUrl' ? apiUrl : input[field])?.trim();
    if (given) return given;
    if (preset) return preset[field];
    throw new ConfigError(field, `${field} is required when cloud is "custom"`);
  };
  return {
    cloud,
    loginUrl: checkServiceUrl('loginUrl', pick('loginUrl')),
    apiUrl: checkServiceUrl('apiUrl', pick('apiUrl')),
    scope: checkScope(pick('scope')),
  };
}

/** The regional host of `region`, after checking the region fits the cloud and any given API URL. */
function checkedRegionalApiUrl(cloud: Cloud, region: string, apiUrl: string | undefined): string {
  if (!(REGIONS as readonly string[]).includes(region)) {
    throw new ConfigError('region', `region must be one of ${REGIONS.join(', ')} (got "${region}")`);
  }
  if (cloud !== 'commercial') {
    throw new ConfigError(
      'region',
      `region is for the commercial cloud only; the ${cloud} cloud has no regional API hosts`,
    );
  }
  if (apiUrl?.trim() && apiUrl.trim().replace(/\/+$/, '') !== regionalApiUrl(region as Region)) {
    throw new ConfigError('region', 'give either a region or an API URL, not both');
  }
  return regionalApiUrl(region as Region);
}

/** True for `localhost`, 127.0.0.0/8 and ::1: the only hosts plain HTTP may reach. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.split('.')[0] === '127';
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/**
 * Checks an API or login base URL and returns it without a trailing slash.
 *
 * @throws ConfigError naming `field`.
 */
export function checkServiceUrl(field: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(field, `${field} must be an absolute https:// URL (got "${value}")`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(field, `${field} must use https:// (got "${url.protocol}")`);
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    // Secrets and bearer tokens travel on these URLs; plain HTTP is only for a local simulator.
    throw new ConfigError(
      field,
      `${field} must use https://; plain http:// is allowed only for loopback hosts (localhost, 127.0.0.0/8, ::1), got host "${url.hostname}"`,
    );
  }
  if (url.username || url.password) throw new ConfigError(field, `${field} must not contain credentials`);
  if (url.search || url.hash) throw new ConfigError(field, `${field} must not have a query or fragment`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function checkScope(scope: string): string {
  // docs/mde-api.md#sign-in: the client-credentials grant only takes `{resource}/.default`.
  if (/\s/.test(scope) || !scope.endsWith('/.default') || scope.length === '/.default'.length) {
    throw new ConfigError('scope', `scope must be one resource followed by "/.default" (got "${scope}")`);
  }
  return scope;
}
