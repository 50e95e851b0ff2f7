import { ClientCredentialsTokenProvider } from '../mde/auth/token-provider.js';
import { resolveEndpoints } from '../mde/cloud-endpoints.js';
import type { ClientRateLimiter } from '../mde/http/client-rate-limiter.js';
import { type HttpTransport, UndiciHttpTransport } from '../mde/http/http-transport.js';
import type { RetryListener } from '../mde/http/retry-notice.js';
import { MdeClient } from '../mde/mde-client.js';
import type { MdeLogger } from '../mde/mde-logger.js';
import type { Connector, ConnectorCredentials } from '../store/connectors/connector-repository.js';

export interface ClientFactoryOptions {
  /** Shared by every client of the process, so two connectors on one tenant and app share budgets. */
  limiter: ClientRateLimiter;
  /** Extra CA certificates (PEM file), e.g. a TLS-inspecting proxy or the simulator's own. */
  caFile?: string;
  logger?: MdeLogger;
  transport?: HttpTransport;
  /** Told of every retry as it is scheduled (sign-in and API requests), e.g. to show it on a terminal. */
  onRetry?: RetryListener;
  /** Retries of a token request; the token provider's default (3) when absent. */
  signInMaxRetries?: number;
}

export class CredentialsMissingError extends Error {
  readonly code = 'credentials' as const;
}

/** Builds the MDE client of one connector from its settings and decrypted credentials. */
export function createMdeClient(
  connector: Connector,
  credentials: ConnectorCredentials,
  options: ClientFactoryOptions,
  signal?: AbortSignal,
): MdeClient {
  // Sign-in retries at most 3 times, and never more than the connector's own limit per request.
  const { endpoints, transport, tokenProvider } = createSignIn(connector, credentials, {
    signInMaxRetries: Math.min(3, connector.options.maxRetries),
    ...options,
  });
  return new MdeClient({
    apiUrl: endpoints.apiUrl,
    tokenProvider,
    transport,
    limiter: options.limiter.forApp(connector.tenantId, connector.clientId),
    maxRetries: connector.options.maxRetries,
    ...(options.logger ? { logger: options.logger } : {}),
    knownSecrets: credentials.clientSecret ? [credentials.clientSecret] : [],
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    ...(signal ? { signal } : {}),
  });
}

/** The endpoints, transport and token provider of a connector (also used by test-credentials). */
export function createSignIn(
  connector: Connector,
  credentials: ConnectorCredentials,
  options: ClientFactoryOptions,
) {
  const endpoints = resolveEndpoints({
    cloud: connector.cloud,
    apiUrl: connector.apiUrl,
    loginUrl: connector.loginUrl,
    scope: connector.scope,
  });
  const transport =
    options.transport ?? new UndiciHttpTransport(options.caFile ? { caFile: options.caFile } : {});
  const credential = credentials.certificate
    ? { kind: 'certificate' as const, ...credentials.certificate }
    : credentials.clientSecret
      ? { kind: 'secret' as const, clientSecret: credentials.clientSecret }
      : undefined;
  if (!credential) {
    throw new CredentialsMissingError(`connector "${connector.name}" has no client secret or certificate`);
  }
  const tokenProvider = new ClientCredentialsTokenProvider({
    tenantId: connector.tenantId,
    clientId: connector.clientId,
    credential,
    loginUrl: endpoints.loginUrl,
    scope: endpoints.scope,
    transport,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.onRetry ? { onRetry: options.onRetry } : {}),
    ...(options.signInMaxRetries !== undefined ? { maxRetries: options.signInMaxRetries } : {}),
  });
  return { endpoints, transport, tokenProvider };
}
