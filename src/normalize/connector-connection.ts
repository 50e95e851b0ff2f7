import { resolveEndpoints } from '../mde/cloud-endpoints.js';
import { ConfigError } from '../mde/mde-errors.js';
import { CLOUDS, type Cloud } from './connector-options.js';

/**
 * A connector setting that is not allowed, naming the setting (camelCase): the CLI shows it as its
 * flag (`--tenant-id`), the API as the body field (`tenantId`). `joiner` sits between the name and
 * the text (`--tenant-id must be ...`, `--api-url: ...`).
 */
export class ConnectorInputError extends Error {
  readonly code = 'connector-input' as const;
  constructor(
    readonly field: string,
    readonly text: string,
    readonly joiner: ' ' | ': ' = ' ',
  ) {
    super(`${field}${joiner}${text}`);
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TENANT_DOMAIN = /^[a-z0-9-]+(\.[a-z0-9-]+)+$/i;

/** Where a connector signs in and calls, as given (absent: keep `base`'s, or the cloud's preset). */
export interface ConnectionInput {
  tenantId?: string | undefined;
  clientId?: string | undefined;
  cloud?: string | undefined;
  /** A regional API host; `none` or empty goes back to the global host. */
  region?: string | undefined;
  apiUrl?: string | undefined;
  loginUrl?: string | undefined;
  scope?: string | undefined;
}

export interface Connection {
  tenantId: string;
  clientId: string;
  cloud: Cloud;
  apiUrl: string;
  loginUrl: string;
  scope: string;
}

/** Checks identity, cloud and endpoints of a new connector, or of a change to `base`. */
export function validateConnection(given: ConnectionInput, base?: Connection): Connection {
  const tenantId = given.tenantId ?? base?.tenantId;
  const clientId = given.clientId ?? base?.clientId;
  if (!tenantId) throw new ConnectorInputError('tenantId', 'is required (the Entra tenant id, a GUID)');
  if (!GUID.test(tenantId) && !TENANT_DOMAIN.test(tenantId)) {
    throw new ConnectorInputError(
      'tenantId',
      `must be a GUID or a domain such as contoso.onmicrosoft.com (got "${tenantId}")`,
    );
  }
  if (!clientId) throw new ConnectorInputError('clientId', 'is required (the app registration id, a GUID)');
  if (!GUID.test(clientId)) throw new ConnectorInputError('clientId', `must be a GUID (got "${clientId}")`);
  const cloud = (given.cloud ?? base?.cloud ?? 'commercial') as Cloud;
  if (!CLOUDS.includes(cloud))
    throw new ConnectorInputError('cloud', `must be one of ${CLOUDS.join(', ')} (got "${cloud}")`);
  // A changed cloud takes its own preset URLs unless the user gave others.
  const keep = given.cloud === undefined || given.cloud === base?.cloud;
  // A given region replaces the stored API URL; `none` (or empty) goes back to the global host.
  const region = given.region?.trim().toLowerCase();
  const regionGiven = region !== undefined;
  try {
    const endpoints = resolveEndpoints({
      cloud,
      ...(regionGiven && region !== '' && region !== 'none' ? { region } : {}),
      apiUrl: given.apiUrl ?? (keep && !regionGiven ? base?.apiUrl : undefined),
      loginUrl: given.loginUrl ?? (keep ? base?.loginUrl : undefined),
      scope: given.scope ?? (keep ? base?.scope : undefined),
    });
    return { ...endpoints, tenantId: tenantId.toLowerCase(), clientId: clientId.toLowerCase(), cloud };
  } catch (err) {
    if (err instanceof ConfigError) throw new ConnectorInputError(err.field, err.message, ': ');
    throw err;
  }
}
