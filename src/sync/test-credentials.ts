import { ALL_ACTION_PERMISSIONS, grantPermissionFix } from '../actions/action-permissions.js';
import { classifyFailure, type FailureClass } from '../mde/classify-failure.js';
import { ClientRateLimiter } from '../mde/http/client-rate-limiter.js';
import { UndiciHttpTransport } from '../mde/http/http-transport.js';
import type { RetryNotice } from '../mde/http/retry-notice.js';
import { MdeClient } from '../mde/mde-client.js';
import type { DataType } from '../normalize/connector-options.js';
import type { Connector, ConnectorRepository } from '../store/connectors/connector-repository.js';
import { createSignIn } from './mde-client-factory.js';

/** One check of a connector's credentials, with the fix when it failed. */
export interface CredentialCheck {
  check: string;
  ok: boolean;
  /** The failure class of a failed check (`dns`, `sign-in`, ...). */
  class?: FailureClass;
  detail: string;
  fix?: string;
}

/** The permission each data type needs (docs/mde-api.md#permissions) and an endpoint that proves it works. */
const NEEDS: Record<
  DataType,
  { role: string[]; path: string; family: 'entity' | 'tvmEntity' | 'assessmentJson' }
> = {
  machines: {
    role: ['Machine.Read.All', 'Machine.ReadWrite.All'],
    path: '/api/machines?$top=1',
    family: 'entity',
  },
  vulnerabilities: {
    role: ['Vulnerability.Read.All'],
    path: '/api/machines/SoftwareVulnerabilitiesByMachine?pageSize=1',
    family: 'assessmentJson',
  },
  'vulnerability-definitions': {
    role: ['Vulnerability.Read.All'],
    path: '/api/vulnerabilities?$top=1',
    family: 'tvmEntity',
  },
  software: { role: ['Software.Read.All'], path: '/api/Software?$top=1', family: 'tvmEntity' },
  'installed-software': {
    role: ['Software.Read.All'],
    path: '/api/machines/SoftwareInventoryByMachine?pageSize=1',
    family: 'assessmentJson',
  },
  recommendations: {
    role: ['SecurityRecommendation.Read.All'],
    path: '/api/recommendations?$top=1',
    family: 'tvmEntity',
  },
  alerts: { role: ['Alert.Read.All', 'Alert.ReadWrite.All'], path: '/api/alerts?$top=1', family: 'entity' },
};

function rolesOf(token: string): string[] {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      roles?: unknown;
    };
    return Array.isArray(payload.roles) ? payload.roles.map(String) : [];
  } catch {
    return [];
  }
}

/**
 * Retries per request here: a check should answer in seconds, so an unreachable host fails after two
 * short retries (each shown as it happens) instead of a sync's ten.
 */
export const TEST_CREDENTIALS_RETRIES = 2;

/** Time to the response headers here; a sync waits longer for slow assessment pages. */
const TEST_CREDENTIALS_TIMEOUT_MS = 30_000;

/** A failed check: the failure's class and message, and the fix of that class. */
function failedCheck(check: string, err: unknown, connector: string): CredentialCheck {
  const f = classifyFailure(err, { connector });
  return {
    check,
    ok: false,
    class: f.class,
    detail: f.class === 'other' ? f.message : `${f.label}: ${f.message}`,
    ...(f.fix ? { fix: f.fix } : {}),
  };
}

/**
 * Checks a connector's sign-in, each permission its data types need and each endpoint
 * (docs/operations.md): one result per check, in order, each failure with its fix. Requests are
 * retried at most TEST_CREDENTIALS_RETRIES times; `onRetry` hears of each retry as it is scheduled.
 */
export async function testCredentials(
  repo: ConnectorRepository,
  connector: Connector,
  options: { caFile?: string; onRetry?: (check: string, notice: RetryNotice) => void } = {},
): Promise<CredentialCheck[]> {
  const checks: CredentialCheck[] = [];
  const caFile = options.caFile;
  let transport: UndiciHttpTransport | undefined;
  try {
    const limiter = new ClientRateLimiter();
    let current = 'sign-in';
    const onRetry = (notice: RetryNotice) => options.onRetry?.(current, notice);
    transport = new UndiciHttpTransport({
      ...(caFile ? { caFile } : {}),
      headersTimeoutMs: TEST_CREDENTIALS_TIMEOUT_MS,
    });
    const { endpoints, tokenProvider } = createSignIn(connector, await repo.credentials(connector.id), {
      limiter,
      transport,
      onRetry,
      signInMaxRetries: TEST_CREDENTIALS_RETRIES,
    });
    let token: string | undefined;
    try {
      token = await tokenProvider.getToken();
      checks.push({
        check: 'sign-in',
        ok: true,
        detail: `token from ${endpoints.loginUrl} for ${endpoints.scope}`,
      });
    } catch (err) {
      checks.push(failedCheck('sign-in', err, connector.name));
    }
    if (token) {
      const roles = rolesOf(token);
      const client = new MdeClient({
        apiUrl: endpoints.apiUrl,
        tokenProvider,
        transport,
        limiter: limiter.forApp(connector.tenantId, connector.clientId),
        maxRetries: TEST_CREDENTIALS_RETRIES,
        onRetry,
      });
      /** Set once the API host cannot be reached: the other endpoints would only fail the same way. */
      let unreachable: string | undefined;
      for (const type of connector.options.dataTypes) {
        const need = NEEDS[type];
        const has = need.role.some((r) => roles.includes(r));
        checks.push({
          check: `permission for ${type}`,
          ok: has,
          detail: has
            ? `token has ${need.role.find((r) => roles.includes(r))}`
            : `token lacks ${need.role.join(' or ')}`,
          ...(has ? {} : { fix: grantPermissionFix(need.role[0]!) }),
        });
        current = `endpoint for ${type}`;
        if (unreachable) {
          checks.push({ check: current, ok: false, detail: `not tried: ${unreachable}` });
          continue;
        }
        try {
          await client.getJson(need.family, need.path);
          checks.push({ check: current, ok: true, detail: `GET ${need.path.split('?')[0]} answered` });
        } catch (err) {
          const failed = failedCheck(current, err, connector.name);
          checks.push(failed);
          if (failed.class !== 'http-status' && failed.class !== 'other') {
            unreachable = `${endpoints.apiUrl} cannot be reached (${failed.class}, see above)`;
          }
        }
      }
      // Actions are never sent to check them: the token's roles are the proof (docs/actions.md#permissions).
      if (connector.options.actions) {
        for (const permission of ALL_ACTION_PERMISSIONS) {
          const has = roles.includes(permission);
          checks.push({
            check: `permission for machine actions (${permission})`,
            ok: has,
            detail: has ? `token has ${permission}` : `token lacks ${permission}`,
            ...(has
              ? {}
              : { fix: `${grantPermissionFix(permission)}, or turn actions off with --no-actions` }),
          });
        }
      }
    }
  } finally {
    await transport?.close();
  }
  return checks;
}
