/**
 * The HTTP seam of the client (design.md 9): one small interface, and its undici implementation with
 * timeouts, keep-alive, proxy support from the usual environment variables and an optional custom CA
 * (design.md 8; mde-api.md 0: egress through proxies must reach `*.blob.core.windows.net` too).
 */
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { type Dispatcher, EnvHttpProxyAgent, request } from 'undici';
import { ConfigError, NetworkError } from '../mde-errors.js';
import { redactUrl } from './redact.js';

/** Methods the client uses. */
export const HTTP_METHODS = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'HEAD'] as const;

/** One of {@link HTTP_METHODS}. */
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** One request. Header names are lower-case by convention. */
export interface HttpRequest {
  method: HttpMethod;
  url: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** Overrides the transport's time limits (time to headers, and idle time within the body). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The answer; the body is a stream the caller must consume or destroy. */
export interface HttpResponse {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

/**
 * Sends requests. Connection failures reject with {@link NetworkError}; an aborted signal rejects with
 * the signal's reason. Any HTTP status resolves: interpreting it is the caller's job.
 */
export interface HttpTransport {
  request(req: HttpRequest): Promise<HttpResponse>;
  /** Releases pooled connections. */
  close?(): Promise<void>;
}

/** Options of {@link UndiciHttpTransport}. */
export interface UndiciTransportOptions {
  /** TCP + TLS connect limit; default 10 s. */
  connectTimeoutMs?: number;
  /** Time from request to response headers; default 60 s (assessment pages take a while). */
  headersTimeoutMs?: number;
  /** Longest silence inside a body; default 120 s. */
  bodyTimeoutMs?: number;
  /** How long an idle pooled connection is kept; default 30 s. */
  keepAliveTimeoutMs?: number;
  /** PEM file of extra CAs to trust besides the system ones (TLS-inspecting proxies, the simulator). */
  caFile?: string;
  /** The same, as PEM text. */
  caPem?: string;
  /** Proxy URLs; by default HTTPS_PROXY / HTTP_PROXY / NO_PROXY from the environment. */
  proxy?: { httpProxy?: string; httpsProxy?: string; noProxy?: string };
  /** Parallel connections per origin; default 8. */
  connections?: number;
  /** Sent as `user-agent` unless the request has one. */
  userAgent?: string;
}

const USER_AGENT = 'mde-connector/0.1';

/** Errors that will not go away by trying again: TLS trust and certificate problems, bad URLs. */
const PERMANENT_CODES =
  /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|ERR_SSL|ERR_INVALID_URL|ENOTFOUND|UND_ERR_INVALID_ARG/;

/** The undici implementation of {@link HttpTransport}. */
export class UndiciHttpTransport implements HttpTransport {
  private readonly dispatcher: Dispatcher;
  private readonly userAgent: string;
  private readonly headersTimeoutMs: number;
  private readonly bodyTimeoutMs: number;
  private closed = false;

  constructor(options: UndiciTransportOptions = {}) {
    const extraCa = options.caPem ?? (options.caFile ? readCaFile(options.caFile) : undefined);
    const tls = extraCa ? { ca: [...rootCertificates, extraCa] } : {};
    this.headersTimeoutMs = options.headersTimeoutMs ?? 60_000;
    this.bodyTimeoutMs = options.bodyTimeoutMs ?? 120_000;
    this.userAgent = options.userAgent ?? USER_AGENT;
    // EnvHttpProxyAgent reads HTTP(S)_PROXY and NO_PROXY (either case) and goes direct otherwise.
    this.dispatcher = new EnvHttpProxyAgent({
      connect: { timeout: options.connectTimeoutMs ?? 10_000, ...tls },
      requestTls: tls,
      proxyTls: tls,
      headersTimeout: this.headersTimeoutMs,
      bodyTimeout: this.bodyTimeoutMs,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
      connections: options.connections ?? 8,
      ...(options.proxy?.httpProxy !== undefined ? { httpProxy: options.proxy.httpProxy } : {}),
      ...(options.proxy?.httpsProxy !== undefined ? { httpsProxy: options.proxy.httpsProxy } : {}),
      ...(options.proxy?.noProxy !== undefined ? { noProxy: options.proxy.noProxy } : {}),
    });
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const headers = req.headers['user-agent']
      ? req.headers
      : { ...req.headers, 'user-agent': this.userAgent };
    try {
      const res = await request(req.url, {
        method: req.method,
        headers,
        ...(req.body !== undefined ? { body: req.body } : {}),
        dispatcher: this.dispatcher,
        headersTimeout: req.timeoutMs ?? this.headersTimeoutMs,
        bodyTimeout: req.timeoutMs ?? this.bodyTimeoutMs,
        ...(req.signal ? { signal: req.signal } : {}),
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (error) {
      if (req.signal?.aborted) throw req.signal.reason;
      throw toNetworkError(error, req.method, req.url);
    }
  }

  /** Closes pooled connections; calling it again is harmless. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.dispatcher.close();
  }
}

/** A {@link NetworkError} for a failed request or body, with the URL redacted. */
export function toNetworkError(error: unknown, method: string, url: string): NetworkError {
  if (error instanceof NetworkError) return error;
  const code = errorCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  const safeUrl = redactUrl(url);
  return new NetworkError(`${method} ${safeUrl} failed: ${code} ${redactUrl(message)}`.trim(), {
    errorCode: code,
    url: safeUrl,
    retryable: !PERMANENT_CODES.test(code),
    cause: error,
  });
}

/** The most specific code of an error: its own, or its cause's (undici wraps socket errors). */
export function errorCodeOf(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR') {
      // undici reports a dropped socket as UND_ERR_SOCKET with the system error as cause.
      const inner = (current as { cause?: { code?: unknown } }).cause?.code;
      return code === 'UND_ERR_SOCKET' && typeof inner === 'string' ? inner : code;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return 'EUNKNOWN';
}

function readCaFile(path: string): string {
  try {
    const pem = readFileSync(path, 'utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate in the file');
    return pem;
  } catch (error) {
    throw new ConfigError('caFile', `caFile "${path}" cannot be used: ${(error as Error).message}`);
  }
}
