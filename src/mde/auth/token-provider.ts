/**
 * Access tokens for the MDE API: the client-credentials grant against Entra ID's v2 endpoint with a
 * client secret or a certificate assertion (docs/mde-api.md#sign-in: our own module, not MSAL).
 * Tokens are cached, renewed five minutes before expiry, and one refresh runs
 * at a time however many requests need a token.
 */

import { type HttpTransport, toNetworkError } from '../http/http-transport.js';
import { readBodyText } from '../http/read-body.js';
import { redactText } from '../http/redact.js';
import { emitRetry, type RetryListener } from '../http/retry-notice.js';
import { decideRetry } from '../http/retry-policy.js';
import { AuthError } from '../mde-errors.js';
import { createLogSink, type LogSink, type MdeLogger } from '../mde-logger.js';
import { parseRecord } from '../parse/parse-record.js';
import { TokenResponseSchema } from '../schemas/token-response.js';
import {
  CLIENT_ASSERTION_TYPE,
  type ClientAssertionAlgorithm,
  createClientAssertion,
} from './client-assertion.js';

/** Gives bearer tokens to the client; `invalidate` drops the cached one after a 401. */
export interface TokenProvider {
  getToken(): Promise<string>;
  invalidate(): void;
}

/** How the app proves who it is. */
export type ClientCredential =
  | { kind: 'secret'; clientSecret: string }
  | {
      kind: 'certificate';
      certificatePem: string;
      privateKeyPem: string;
      algorithm?: ClientAssertionAlgorithm;
    };

/** Options of {@link ClientCredentialsTokenProvider}. */
export interface ClientCredentialsOptions {
  tenantId: string;
  clientId: string;
  credential: ClientCredential;
  /** Authority base, checked by `resolveEndpoints`, e.g. `https://login.microsoftonline.us`. */
  loginUrl: string;
  /** The v2 scope, e.g. `https://api.securitycenter.microsoft.com/.default`. */
  scope: string;
  transport: HttpTransport;
  /** Clock for expiry and assertion times; must agree with Entra's (the simulator's in tests). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Renew this long before expiry; default 5 minutes (at most half the token's lifetime). */
  renewBeforeMs?: number;
  /** Retries of a token request on 429, 5xx and network errors; default 3. */
  maxRetries?: number;
  timeoutMs?: number;
  logger?: MdeLogger;
  /** Told of every retry of a token request as it is scheduled. */
  onRetry?: RetryListener;
}

/** Entra's answers worth a hint to the operator (AADSTS error reference). */
export const AADSTS_HINTS: Readonly<Record<string, string>> = {
  AADSTS90002: 'the tenant id is wrong, or the tenant is in another cloud',
  AADSTS700016: 'the client id is not registered in this tenant',
  AADSTS7000215: 'the client secret is wrong: use the secret value, not its id',
  AADSTS7000222: 'the client secret has expired: create a new one',
  AADSTS700027: 'the certificate is not registered on the app, or the key does not match it',
  AADSTS700024: 'the client assertion time is outside its validity: check the system clock',
  AADSTS65001: 'admin consent is missing: grant consent for the WindowsDefenderATP permissions',
  AADSTS500011: 'the WindowsDefenderATP resource is not in the tenant, or the scope is for another cloud',
  AADSTS1002012: 'the scope must end with /.default',
};

const DEFAULT_RENEW_BEFORE_MS = 5 * 60_000;

interface CachedToken {
  token: string;
  /** When the token stops working. */
  expiresAt: number;
  /** When to start renewing it. */
  renewAt: number;
}

/** Client-credentials tokens from Entra ID, cached and renewed ahead of expiry, single-flight. */
export class ClientCredentialsTokenProvider implements TokenProvider {
  private cached: CachedToken | undefined;
  private inflight: Promise<string> | undefined;
  private readonly now: () => number;
  private readonly log: LogSink;
  private readonly tokenUrl: string;
  private requests = 0;

  constructor(private readonly options: ClientCredentialsOptions) {
    this.now = options.now ?? Date.now;
    const c = options.credential;
    this.log = createLogSink(options.logger, c.kind === 'secret' ? [c.clientSecret] : [c.privateKeyPem]);
    this.tokenUrl = `${options.loginUrl.replace(/\/+$/, '')}/${encodeURIComponent(options.tenantId)}/oauth2/v2.0/token`;
  }

  /** How many token requests were sent (sign-ins, renewals and their retries). */
  get tokenRequests(): number {
    return this.requests;
  }

  async getToken(): Promise<string> {
    const cached = this.cached;
    if (cached && this.now() < cached.renewAt) return cached.token;
    this.inflight ??= this.renew(cached).finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  invalidate(): void {
    this.cached = undefined;
  }

  private async renew(previous: CachedToken | undefined): Promise<string> {
    try {
      const fresh = await this.requestToken();
      this.cached = fresh;
      this.log('debug', previous ? 'token-renewed' : 'token-acquired', 'access token acquired', {
        expiresInS: Math.round((fresh.expiresAt - this.now()) / 1000),
      });
      return fresh.token;
    } catch (error) {
      // A renewal that fails early is not fatal while the old token still works.
      if (
        previous &&
        this.cached === previous &&
        this.now() < previous.expiresAt &&
        (error as AuthError).retryable
      ) {
        this.log('warn', 'token-renewal-failed', 'token renewal failed; using the current token', { error });
        return previous.token;
      }
      throw error;
    }
  }

  private async requestToken(): Promise<CachedToken> {
    const maxRetries = this.options.maxRetries ?? 3;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const random = this.options.random ?? Math.random;
    for (let attempt = 1; ; attempt++) {
      this.requests++;
      const sentAt = this.now();
      let status: number | undefined;
      let errorCode: string | undefined;
      let retryAfter: string | undefined;
      let failure: AuthError;
      let cause = '';
      const body = this.form(sentAt).toString();
      try {
        const res = await this.options.transport.request({
          method: 'POST',
          url: this.tokenUrl,
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body,
          ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
        });
        status = res.status;
        const text = await readBodyText(res.body, { method: 'POST', url: this.tokenUrl }, 1 << 20);
        if (status === 200) return this.readSuccess(text, sentAt);
        retryAfter = headerValue(res.headers['retry-after']);
        failure = this.readFailure(status, text);
        cause = `the sign-in endpoint answered ${status}`;
      } catch (error) {
        if (error instanceof AuthError) throw error;
        const net = toNetworkError(error, 'POST', this.tokenUrl);
        errorCode = net.errorCode;
        cause = net.detail;
        status = undefined;
        // Not a verdict on the credentials: the cause (a NetworkError) says what failed.
        failure = new AuthError(`Sign-in to tenant ${this.options.tenantId} failed: ${net.message}`, {
          retryable: net.retryable,
          cause: net,
        });
      }
      const decision = decideRetry({
        attempt,
        maxRetries,
        status,
        errorCode,
        retryAfterHeader: retryAfter,
        random,
        nowMs: Date.now(),
      });
      if (!decision.retry) throw failure;
      this.log('warn', 'token-retry', `token request failed, retrying: ${decision.reason}`, {
        attempt,
        delayMs: decision.delayMs,
      });
      emitRetry(this.options.onRetry, {
        request: 'sign-in',
        retry: attempt,
        maxRetries,
        delayMs: decision.delayMs,
        cause,
        throttled: status === 429,
      });
      await sleep(decision.delayMs);
    }
  }

  private form(nowMs: number): URLSearchParams {
    const { clientId, scope, credential } = this.options;
    const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, scope });
    if (credential.kind === 'secret') {
      form.set('client_secret', credential.clientSecret);
      return form;
    }
    // A fresh assertion per request: Entra rejects a replayed or expired one (AADSTS700024).
    let assertion: string;
    try {
      assertion = createClientAssertion({
        clientId,
        tokenUrl: this.tokenUrl,
        certificatePem: credential.certificatePem,
        privateKeyPem: credential.privateKeyPem,
        now: nowMs,
        ...(credential.algorithm ? { algorithm: credential.algorithm } : {}),
      });
    } catch (error) {
      throw new AuthError(`The certificate credential cannot be used: ${(error as Error).message}`, {
        cause: error,
      });
    }
    form.set('client_assertion_type', CLIENT_ASSERTION_TYPE);
    form.set('client_assertion', assertion);
    return form;
  }

  private readSuccess(text: string, sentAt: number): CachedToken {
    const parsed = parseRecord(TokenResponseSchema, safeJson(text));
    if (!parsed.ok) {
      throw new AuthError(`Sign-in to tenant ${this.options.tenantId} answered an unusable token response`, {
        status: 200,
        description: parsed.reason,
      });
    }
    // v2 gives expires_in; v1 also expires_on (epoch seconds). Entra's default is one hour
    // (docs/mde-api.md#sign-in).
    const lifetimeMs = (parsed.value.expires_in ?? 3599) * 1000;
    const expiresAt = sentAt + lifetimeMs;
    const margin = Math.min(this.options.renewBeforeMs ?? DEFAULT_RENEW_BEFORE_MS, lifetimeMs / 2);
    return { token: parsed.value.access_token, expiresAt, renewAt: expiresAt - margin };
  }

  private readFailure(status: number, text: string): AuthError {
    const body = safeJson(text) as Record<string, unknown> | undefined;
    const secrets = this.knownSecrets();
    const description =
      typeof body?.error_description === 'string' ? redactText(body.error_description, secrets) : undefined;
    const codes = Array.isArray(body?.error_codes) ? body.error_codes : [];
    const aadsts =
      typeof codes[0] === 'number'
        ? `AADSTS${codes[0]}`
        : (/AADSTS\d+/.exec(description ?? '')?.[0] ?? undefined);
    const oauthError = typeof body?.error === 'string' ? body.error : undefined;
    // The description's tail is Trace ID / Correlation ID / Timestamp: noise in a one-line message.
    const summary = description?.split(/\s+Trace ID:/)[0] ?? `HTTP ${status}`;
    const hint = aadsts ? AADSTS_HINTS[aadsts] : undefined;
    return new AuthError(
      `Sign-in to tenant ${this.options.tenantId} failed: ${summary}${oauthError ? ` (${oauthError})` : ''}${hint ? `; ${hint}` : ''}`,
      {
        status,
        ...(aadsts ? { aadsts } : {}),
        ...(oauthError ? { oauthError } : {}),
        ...(description ? { description } : {}),
        retryable: status === 429 || status >= 500,
      },
    );
  }

  private knownSecrets(): string[] {
    const c = this.options.credential;
    return c.kind === 'secret' ? [c.clientSecret] : [c.privateKeyPem];
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
