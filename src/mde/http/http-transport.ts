/**
 * The HTTP seam of the client (docs/architecture.md#conventions): one small interface, and its undici
 * implementation with timeouts, keep-alive, proxy support from the usual environment variables and an
 * optional custom CA (docs/mde-api.md#clouds-and-hosts: egress through proxies must reach
 * `*.blob.core.windows.net` too).
 */
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { rootCertificates } from 'node:tls';
import { type Dispatcher, EnvHttpProxyAgent, Pool, request } from 'undici';
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
  /** The proxy each scheme goes through, read as the dispatcher reads it, to name it in errors. */
  private readonly proxies: { 'http:'?: string; 'https:'?: string };
  private closed = false;

  constructor(options: UndiciTransportOptions = {}) {
    const extraCa = options.caPem ?? (options.caFile ? readCaFile(options.caFile) : undefined);
    const tls = extraCa ? { ca: [...rootCertificates, extraCa] } : {};
    this.headersTimeoutMs = options.headersTimeoutMs ?? 60_000;
    this.bodyTimeoutMs = options.bodyTimeoutMs ?? 120_000;
    this.userAgent = options.userAgent ?? USER_AGENT;
    const httpProxy = options.proxy?.httpProxy ?? process.env.http_proxy ?? process.env.HTTP_PROXY;
    const httpsProxy = options.proxy?.httpsProxy ?? process.env.https_proxy ?? process.env.HTTPS_PROXY;
    this.proxies = {
      ...(httpProxy ? { 'http:': httpProxy } : {}),
      ...(httpsProxy || httpProxy ? { 'https:': (httpsProxy || httpProxy) as string } : {}),
    };
    // EnvHttpProxyAgent reads HTTP(S)_PROXY and NO_PROXY (either case) and goes direct otherwise.
    this.dispatcher = new EnvHttpProxyAgent({
      connect: { timeout: options.connectTimeoutMs ?? 10_000, ...tls },
      requestTls: tls,
      proxyTls: tls,
      headersTimeout: this.headersTimeoutMs,
      bodyTimeout: this.bodyTimeoutMs,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
      connections: options.connections ?? 8,
      clientFactory: proxyClientFactory,
      ...(options.proxy?.httpProxy !== undefined ? { httpProxy: options.proxy.httpProxy } : {}),
      ...(options.proxy?.httpsProxy !== undefined ? { httpsProxy: options.proxy.httpsProxy } : {}),
      ...(options.proxy?.noProxy !== undefined ? { noProxy: options.proxy.noProxy } : {}),
    });
  }

  async request(req: HttpRequest): Promise<HttpResponse> {
    const headers = req.headers['user-agent']
      ? req.headers
      : { ...req.headers, 'user-agent': this.userAgent };
    const timeoutMs = req.timeoutMs ?? this.headersTimeoutMs;
    try {
      const res = await request(req.url, {
        method: req.method,
        headers,
        ...(req.body !== undefined ? { body: req.body } : {}),
        dispatcher: this.dispatcher,
        headersTimeout: timeoutMs,
        bodyTimeout: req.timeoutMs ?? this.bodyTimeoutMs,
        ...(req.signal ? { signal: req.signal } : {}),
      });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (error) {
      if (req.signal?.aborted) throw req.signal.reason;
      throw toNetworkError(error, req.method, req.url, {
        headersTimeoutMs: timeoutMs,
        proxyUrl: this.proxyFor(req.url),
      });
    }
  }

  /** The configured proxy of the URL's scheme (NO_PROXY aside): only used to name it in errors. */
  private proxyFor(url: string): string | undefined {
    try {
      return this.proxies[new URL(url).protocol as 'http:' | 'https:'];
    } catch {
      return undefined;
    }
  }

  /** Closes pooled connections; calling it again is harmless. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.dispatcher.close();
  }
}

/** The code of {@link ProxyTunnelError}. */
export const PROXY_TUNNEL_ERROR_CODE = 'UND_ERR_PRX_CONN';

/** The proxy dropped the connection while a CONNECT tunnel was being opened. */
export class ProxyTunnelError extends Error {
  readonly code = PROXY_TUNNEL_ERROR_CODE;

  constructor(cause: Error) {
    super(`the proxy closed the connection while opening a tunnel (${cause.message})`, { cause });
    this.name = 'ProxyTunnelError';
  }
}

/**
 * The connection pool to a proxy. A socket error while the CONNECT tunnel is set up becomes a
 * {@link ProxyTunnelError}: undici 7 treats the raw socket error as recoverable there and reconnects
 * to the proxy in a tight loop forever (nodejs/undici#3897), so the request must fail instead.
 */
function proxyClientFactory(origin: URL, options: object): Dispatcher {
  const pool = new Pool(origin, options);
  const connect = pool.connect.bind(pool) as (params: Dispatcher.ConnectOptions) => Promise<unknown>;
  (pool as { connect: unknown }).connect = async (params: Dispatcher.ConnectOptions) => {
    try {
      return await connect(params);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'UND_ERR_SOCKET') throw new ProxyTunnelError(error as Error);
      throw error;
    }
  };
  return pool;
}

/** What {@link toNetworkError} may know besides the error. */
export interface NetworkErrorContext {
  /** The time limit to the response headers, to say how long the client waited. */
  headersTimeoutMs?: number;
  /** The proxy the request went through, if any: the error is the proxy's when its address failed. */
  proxyUrl?: string | undefined;
}

/** A {@link NetworkError} for a failed request or body, with the URL redacted. */
export function toNetworkError(
  error: unknown,
  method: string,
  url: string,
  context: NetworkErrorContext = {},
): NetworkError {
  if (error instanceof NetworkError) return error;
  const code = errorCodeOf(error);
  const message = messageOf(error);
  const safeUrl = redactUrl(url);
  const proxyUrl =
    context.proxyUrl && proxyAtFault(error, context.proxyUrl) ? withoutUserInfo(context.proxyUrl) : undefined;
  return new NetworkError(`${method} ${safeUrl} failed: ${code} ${redactUrl(message)}`.trim(), {
    errorCode: code,
    url: safeUrl,
    method,
    detail: redactUrl(socketDetail(error, code, message, url, context.headersTimeoutMs)),
    ...(proxyUrl ? { proxyUrl } : {}),
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

/** An error's message; an AggregateError (one per address tried) has none, so its first member's. */
function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  const first = (error as { errors?: unknown[] }).errors?.[0];
  if (first instanceof Error && first.message) return first.message;
  const inner = error.cause;
  return inner instanceof Error ? messageOf(inner) : error.name;
}

/**
 * What the socket layer said, as a person reads it: `connect ECONNREFUSED 127.0.0.1:1234`,
 * `self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)`, `no answer from host:443 within 60 s`.
 */
function socketDetail(
  error: unknown,
  code: string,
  message: string,
  url: string,
  headersTimeoutMs: number | undefined,
): string {
  const host = hostOf(url);
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    const limit = headersTimeoutMs !== undefined ? ` within ${formatSeconds(headersTimeoutMs)}` : '';
    return `no answer from ${host}${limit} (${code})`;
  }
  if (code === 'UND_ERR_BODY_TIMEOUT') return `${host} stopped sending the response (${code})`;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    const m = /attempted address: ([^,)]+), timeout: (\d+)ms/.exec(message);
    return m
      ? `connect to ${m[1]} timed out after ${formatSeconds(Number(m[2]))} (${code})`
      : `connect to ${host} timed out (${code})`;
  }
  const inner = innermostMessage(error) ?? message;
  return inner.includes(code) || code === 'EUNKNOWN' ? inner : `${inner} (${code})`;
}

/** The message of the deepest error in the cause chain that has one (the system error, usually). */
function innermostMessage(error: unknown): string | undefined {
  let found: string | undefined;
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    const text = messageOf(current);
    if (text) found = text;
    current = current.cause;
  }
  return found;
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the server';
  }
}

/**
 * Whether the failure was reaching the proxy rather than the target: the proxy refused the tunnel
 * (`Proxy response (407)`), or the address that failed (refused, unresolved, timed out) is the proxy's.
 */
function proxyAtFault(error: unknown, proxyUrl: string): boolean {
  let proxy: URL;
  try {
    proxy = new URL(proxyUrl);
  } catch {
    return false;
  }
  const proxyHost = proxy.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const proxyPort = Number(proxy.port) || (proxy.protocol === 'https:' ? 443 : 80);
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    if (/Proxy response \(\d+\)/.test(current.message) || current instanceof ProxyTunnelError) return true;
    const e = current as { address?: unknown; hostname?: unknown; port?: unknown };
    if (typeof e.hostname === 'string' && e.hostname.toLowerCase() === proxyHost) return true;
    if (
      typeof e.address === 'string' &&
      e.address.toLowerCase() === proxyHost &&
      Number(e.port) === proxyPort
    )
      return true;
    const attempted = /attempted address: ([^,)]+)/.exec(current.message)?.[1];
    if (attempted && attempted.toLowerCase() === `${proxyHost}:${proxyPort}`) return true;
    current = (current as { cause?: unknown }).cause ?? (current as { errors?: unknown[] }).errors?.[0];
  }
  return false;
}

/** A proxy URL without its user and password, fit for a message. */
function withoutUserInfo(proxyUrl: string): string {
  try {
    const u = new URL(proxyUrl);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return 'the proxy';
  }
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
