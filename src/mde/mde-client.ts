/**
 * The MDE API client: token provider + transport + retry policy + rate limiter, composed. It sends
 * one logical request, deals with throttling, transient failures and token expiry, and returns parsed
 * JSON or throws one of the errors of mde-errors.ts. Paging and streams live in their own modules.
 */
import type { TokenProvider } from './auth/token-provider.js';
import type { EndpointFamily, TenantRateLimiter } from './http/client-rate-limiter.js';
import { TVM_FAMILIES } from './http/client-rate-limiter.js';
import type { HttpMethod, HttpResponse, HttpTransport } from './http/http-transport.js';
import { discardBody, readBodyText } from './http/read-body.js';
import { redactText, redactUrl } from './http/redact.js';
import { emitRetry, type RetryListener } from './http/retry-notice.js';
import { DEFAULT_MAX_RETRIES, decideRetry } from './http/retry-policy.js';
import { ApiError, ConfigError, NetworkError, NotLicensedError } from './mde-errors.js';
import { createLogSink, type LogSink, type MdeLogger } from './mde-logger.js';
import { parseRecord } from './parse/parse-record.js';
import { ErrorEnvelopeSchema } from './schemas/error-envelope.js';

/** Query values; `undefined` leaves the parameter out. */
export type QueryValue = string | number | boolean | undefined;

/** Query parameters, e.g. `{ $top: 10000, $filter: "healthStatus eq 'Active'" }`. */
export type Query = Readonly<Record<string, QueryValue>>;

/** Counters for the run history (docs/data-model.md#syncrun: syncRun API calls, retries, time throttled). */
export interface MdeClientStats {
  /** Requests sent to the MDE API, retries and token renewals included. */
  apiCalls: number;
  /** Requests sent again after a 429, a 5xx or a network failure. */
  retries: number;
  /** Time spent waiting for rate-limit budget or a 429 pause, in ms. */
  throttledMs: number;
  /** Tokens dropped and renewed after a 401. */
  tokenRenewals: number;
}

/** Options of {@link MdeClient}. */
export interface MdeClientOptions {
  /** API base checked by `resolveEndpoints`, e.g. `https://api.security.microsoft.com`. */
  apiUrl: string;
  tokenProvider: TokenProvider;
  transport: HttpTransport;
  /** The limiter of this tenant and app; its clock and sleep are also used for backoff. */
  limiter: TenantRateLimiter;
  /** The connector's maximum retries per request (docs/data-model.md#connector); default 10. */
  maxRetries?: number;
  random?: () => number;
  /** Per-request time limit passed to the transport. */
  timeoutMs?: number;
  logger?: MdeLogger;
  /** Exact values to redact from logs on top of the patterns (e.g. the client secret). */
  knownSecrets?: readonly string[];
  /** Cancels every request of this client (a cancelled sync). */
  signal?: AbortSignal;
  /** Told of every retry as it is scheduled (requests here, and export downloads given it). */
  onRetry?: RetryListener;
  /**
   * Other hosts the bearer token may be sent to when a nextLink points there
   * (docs/mde-api.md#documentation-defects shows nextLinks on other hosts). By default only the API origin
   * gets the token.
   */
  trustedHosts?: readonly string[];
}

/** Per-call options. */
export interface RequestOptions {
  signal?: AbortSignal;
}

const ERROR_BODY_LIMIT = 64 * 1024;

/** Talks to the MDE API for one tenant and app. */
export class MdeClient {
  /** Counters; read them for the run history. */
  readonly stats: MdeClientStats = { apiCalls: 0, retries: 0, throttledMs: 0, tokenRenewals: 0 };
  /** The API base URL without a trailing slash. */
  readonly apiUrl: string;
  /** The transport, shared with export downloads (which must carry no Authorization header). */
  readonly transport: HttpTransport;
  readonly maxRetries: number;
  private readonly apiOrigin: string;
  private readonly log: LogSink;

  constructor(private readonly options: MdeClientOptions) {
    this.apiUrl = options.apiUrl.replace(/\/+$/, '');
    this.apiOrigin = new URL(this.apiUrl).origin;
    this.transport = options.transport;
    this.maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
    this.log = createLogSink(options.logger, options.knownSecrets);
  }

  /** The injected logger, redacting, for the paging and export modules. */
  get logSink(): LogSink {
    return this.log;
  }

  /** The clock and sleep used for waiting (the limiter's). */
  get time() {
    return this.options.limiter.time;
  }

  /** The retry listener, for the export downloads that share this client's transport. */
  get onRetry(): RetryListener | undefined {
    return this.options.onRetry;
  }

  /** The jitter source. */
  get random(): () => number {
    return this.options.random ?? Math.random;
  }

  /**
   * GETs a path (`/api/machines`) or an absolute URL (a nextLink) and returns the parsed JSON body.
   *
   * @throws ApiError (NotLicensedError for a 403 on a TVM family), NetworkError, or the abort reason.
   */
  async getJson<T = unknown>(
    family: EndpointFamily,
    pathOrUrl: string,
    query?: Query,
    options?: RequestOptions,
  ): Promise<T> {
    return (await this.send(family, 'GET', this.resolve(pathOrUrl, query), undefined, options)) as T;
  }

  /**
   * POSTs a JSON body and returns the parsed answer. Retries like a GET: the machine-action endpoints
   * answer a duplicate with 400 ActiveRequestAlreadyExists (docs/mde-api.md#machine-actions), which callers
   * handle.
   */
  async postJson<T = unknown>(
    family: EndpointFamily,
    path: string,
    body: unknown,
    options?: RequestOptions,
  ): Promise<T> {
    return (await this.send(family, 'POST', this.resolve(path), JSON.stringify(body), options)) as T;
  }

  /**
   * The absolute URL of a path or URL with query parameters set (replacing ones of the same name).
   * `$` stays literal in names and spaces become `%20`, as OData examples write them.
   *
   * @throws ConfigError when an absolute URL is not on the API origin or a trusted host, so the bearer
   *   token never goes anywhere else.
   */
  resolve(pathOrUrl: string, query?: Query): string {
    const absolute = /^[a-z][a-z0-9+.-]*:/i.test(pathOrUrl);
    if (!absolute && !pathOrUrl.startsWith('/')) {
      throw new ConfigError('path', `API paths must start with "/" (got "${pathOrUrl}")`);
    }
    let url: URL;
    try {
      url = new URL(absolute ? pathOrUrl : `${this.apiUrl}${pathOrUrl}`);
    } catch {
      throw new ConfigError('url', `not a valid URL: ${redactUrl(pathOrUrl)}`);
    }
    if (!this.isTrusted(url)) {
      throw new ConfigError(
        'url',
        `refusing to send the access token to ${url.origin}: it is not the API host ${this.apiOrigin}`,
      );
    }
    if (!query) return url.toString();
    const names = new Set(Object.keys(query).map((k) => k.toLowerCase()));
    const kept = url.search
      .slice(1)
      .split('&')
      .filter((pair) => pair && !names.has(safeDecode(pair.split('=')[0]!).toLowerCase()));
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) kept.push(`${encodeName(name)}=${encodeValue(String(value))}`);
    }
    url.search = kept.length > 0 ? `?${kept.join('&')}` : '';
    return url.toString();
  }

  /** Whether the bearer token may go to this URL. */
  isTrusted(url: URL): boolean {
    if (url.origin === this.apiOrigin) return true;
    const trusted = this.options.trustedHosts ?? [];
    return url.protocol === 'https:' && trusted.some((h) => h.toLowerCase() === url.hostname.toLowerCase());
  }

  private async send(
    family: EndpointFamily,
    method: HttpMethod,
    url: string,
    body: string | undefined,
    options: RequestOptions | undefined,
  ): Promise<unknown> {
    const signal = combineSignals(this.options.signal, options?.signal);
    const { limiter, tokenProvider } = this.options;
    const safeUrl = redactUrl(url);
    let renewed = false;
    for (let attempt = 1; ; attempt++) {
      this.stats.throttledMs += await limiter.acquire(family, signal);
      const token = await tokenProvider.getToken();
      this.stats.apiCalls++;
      let status: number | undefined;
      let retryAfter: string | undefined;
      let errorCode: string | undefined;
      let failure: (note: string) => Error;
      let cause: string;
      try {
        const res = await this.transport.request({
          method,
          url,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body } : {}),
          ...(this.options.timeoutMs ? { timeoutMs: this.options.timeoutMs } : {}),
          ...(signal ? { signal } : {}),
        });
        if (res.status >= 200 && res.status < 300) return await this.readJson(res, method, url);
        if (res.status === 401 && !renewed) {
          // docs/mde-api.md#errors: 401 = invalid or expired token; renew once, then believe it.
          await discardBody(res.body);
          tokenProvider.invalidate();
          renewed = true;
          this.stats.tokenRenewals++;
          this.log('info', 'token-invalidated', `${method} ${safeUrl} answered 401; renewing the token`);
          attempt--;
          continue;
        }
        status = res.status;
        retryAfter = firstHeader(res.headers['retry-after']);
        const text = await readBodyText(res.body, { method, url }, ERROR_BODY_LIMIT);
        failure = (note) => this.apiError(family, method, url, res.status, text, note);
        cause = `${method} ${new URL(url).pathname} answered ${res.status}`;
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error;
        errorCode = error.errorCode;
        cause = error.detail;
        failure = (note) =>
          note
            ? new NetworkError(`${error.message} (${note})`, {
                errorCode: error.errorCode,
                url: safeUrl,
                method,
                detail: `${error.detail}; gave up after ${attempt - 1} retries`,
                ...(error.proxyUrl ? { proxyUrl: error.proxyUrl } : {}),
                retryable: error.retryable,
                cause: error,
              })
            : error;
      }
      const decision = decideRetry({
        attempt,
        maxRetries: this.maxRetries,
        status,
        errorCode,
        retryAfterHeader: retryAfter,
        random: this.random,
        nowMs: Date.now(),
      });
      if (!decision.retry) throw failure(attempt > 1 ? decision.reason : '');
      this.stats.retries++;
      this.log(
        'warn',
        'retry',
        `${method} ${safeUrl}: ${decision.reason}; retry ${attempt} in ${decision.delayMs} ms`,
        {
          family,
          attempt,
          status,
          errorCode,
          delayMs: decision.delayMs,
        },
      );
      emitRetry(this.options.onRetry, {
        request: `${method} ${new URL(url).pathname}`,
        retry: attempt,
        maxRetries: this.maxRetries,
        delayMs: decision.delayMs,
        cause,
        throttled: status === 429,
      });
      if (status === 429) {
        // docs/mde-api.md#throttling-and-retries: a 429 pauses the whole family for this tenant; the next
        // acquire waits it out.
        limiter.pause(family, decision.delayMs);
      } else if (decision.delayMs > 0) {
        await limiter.time.sleep(decision.delayMs, signal);
      }
    }
  }

  private async readJson(res: HttpResponse, method: HttpMethod, url: string): Promise<unknown> {
    const text = await readBodyText(res.body, { method, url });
    if (res.status === 204 || text.trim() === '') return undefined;
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ApiError(`${method} ${redactUrl(url)} answered ${res.status} with a body that is not JSON`, {
        status: res.status,
        method,
        url: redactUrl(url),
        cause: error,
      });
    }
  }

  private apiError(
    family: EndpointFamily,
    method: HttpMethod,
    url: string,
    status: number,
    text: string,
    note: string,
  ): ApiError {
    const parsed = parseRecord(ErrorEnvelopeSchema, safeJson(text));
    const mdeCode = parsed.ok ? parsed.value.error.code : undefined;
    const message = parsed.ok ? (parsed.value.error.message ?? '') : text.slice(0, 200);
    const target = parsed.ok ? (parsed.value.error.target ?? undefined) : undefined;
    const safeUrl = redactUrl(url);
    const details = {
      status,
      method,
      url: safeUrl,
      retryable: status === 429 || status >= 500,
      ...(mdeCode ? { mdeCode } : {}),
      ...(target ? { target } : {}),
    };
    const path = new URL(url).pathname;
    const where = `${method} ${path} answered ${status}${mdeCode ? ` ${mdeCode}` : ''}`;
    const tail = `${target ? ` [correlation ${target}]` : ''}${note ? ` (${note})` : ''}`;
    if (status === 403 && TVM_FAMILIES.has(family)) {
      // On TVM endpoints a 403 means no MDVM licence or no consent, not "no data".
      return new NotLicensedError(
        `${where}: not licensed or not consented for Defender Vulnerability Management data; check the MDVM licence and that the app has consented Vulnerability.Read.All, Software.Read.All and SecurityRecommendation.Read.All${message ? ` (MDE says: ${redactText(message)})` : ''}${tail}`,
        details,
      );
    }
    return new ApiError(`${where}${message ? `: ${redactText(message)}` : ''}${tail}`, details);
  }
}

function combineSignals(a: AbortSignal | undefined, b: AbortSignal | undefined): AbortSignal | undefined {
  if (a && b) return AbortSignal.any([a, b]);
  return a ?? b;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** OData system options keep their `$`; everything else is percent-encoded. */
function encodeName(name: string): string {
  return encodeURIComponent(name).replace(/^%24/, '$');
}

function encodeValue(value: string): string {
  return encodeURIComponent(value);
}
