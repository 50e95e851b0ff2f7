/**
 * Why a request failed, in the words a person needs: one class per kind of cause (the name does not
 * resolve, nothing listens, no answer in time, an untrusted certificate, the proxy, an HTTP status,
 * sign-in refused), a short message and the fix for that class. A pure function of the error and its
 * cause chain, so every place that reports a failure (test-credentials, a sync's error) says the same,
 * and a network failure never reads as rejected credentials.
 */
import { AADSTS_HINTS } from './auth/token-provider.js';
import { PROXY_TUNNEL_ERROR_CODE } from './http/http-transport.js';
import { ApiError, AuthError, ExportFileError, NetworkError, NotLicensedError } from './mde-errors.js';

/** Every failure class. `connection` is a connection cut or a network unreachable; `other` is the rest. */
export const FAILURE_CLASSES = [
  'dns',
  'connection-refused',
  'timeout',
  'tls-certificate',
  'proxy',
  'connection',
  'http-status',
  'sign-in',
  'other',
] as const;

/** One of {@link FAILURE_CLASSES}. */
export type FailureClass = (typeof FAILURE_CLASSES)[number];

/** How each class is named in messages. */
export const FAILURE_LABELS: Readonly<Record<FailureClass, string>> = {
  dns: 'DNS',
  'connection-refused': 'connection refused',
  timeout: 'timeout',
  'tls-certificate': 'TLS certificate',
  proxy: 'proxy',
  connection: 'connection failed',
  'http-status': 'HTTP status',
  'sign-in': 'sign-in refused',
  other: 'error',
};

/** A classified failure. */
export interface Failure {
  class: FailureClass;
  /** {@link FAILURE_LABELS} of the class. */
  label: string;
  /** What happened, one line, already redacted. */
  message: string;
  /** What to do about it; absent for `other`. */
  fix?: string;
  /** The system or undici code, when the connection failed (`ECONNREFUSED`). */
  errorCode?: string;
  /** The HTTP status, when a server answered. */
  status?: number;
}

/** Name resolution failed: the name does not exist, or DNS did not answer. */
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);
/** No answer in time: connecting, waiting for headers, or within the body. */
const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ESOCKETTIMEDOUT',
]);
/** The chain of trust: no CA this system trusts signed the server's certificate. */
const UNTRUSTED_CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);
/** The certificate's dates: an expired certificate or a wrong system clock. */
const CERT_TIME_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
/** The connection was cut, or the network has no route to the host. */
const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
]);

const URL_FLAGS = "the connector's --cloud, or its --api-url and --login-url";
const PROXY_ENV = 'HTTPS_PROXY, with NO_PROXY for the hosts reached directly';
const CA_FIX =
  'if a TLS-inspecting proxy or a private CA signs it, pass that CA certificate (PEM) with --ca-file PATH or MDEC_CA_FILE=PATH; never turn certificate checks off';
/** What the caller knows that makes a fix concrete. */
export interface FailureContext {
  /** The connector's name, put into the commands a fix suggests. */
  connector?: string;
}

/** Classifies an error by its cause chain: the innermost known cause decides. */
export function classifyFailure(error: unknown, context: FailureContext = {}): Failure {
  const chain = causeChain(error);
  const net = chain.find((e): e is NetworkError => e instanceof NetworkError);
  if (net) return classifyNetwork(net, chain[0] instanceof AuthError ? 'sign-in' : undefined);
  const api = chain.find((e): e is ApiError => e instanceof ApiError);
  if (api) return classifyStatus(api.status, api.message, api instanceof NotLicensedError);
  const auth = chain.find((e): e is AuthError => e instanceof AuthError);
  if (auth) return classifySignIn(auth, context);
  const file = chain.find((e): e is ExportFileError => e instanceof ExportFileError);
  if (file?.reason === 'http' && file.status !== undefined)
    return classifyStatus(file.status, file.message, false);
  // A raw socket error that no transport wrapped (a code anywhere in the chain).
  const code = chain.map((e) => (e as { code?: unknown }).code).find((c) => typeof c === 'string');
  if (typeof code === 'string' && networkClassOf(code) !== undefined) {
    return classifyNetwork(
      new NetworkError(messageOf(chain[0]), { errorCode: code, detail: messageOf(chain[0]) }),
      undefined,
    );
  }
  if (chain.some((e) => e instanceof Error && e.name === 'TimeoutError')) {
    return failure('timeout', messageOf(error), 'the operation took longer than its limit; try again later');
  }
  return { class: 'other', label: FAILURE_LABELS.other, message: messageOf(error) };
}

/**
 * One line for a log, a run history or an error message: `connection refused: connect ECONNREFUSED
 * 127.0.0.1:1234 (GET http://127.0.0.1:1234/api/machines). Fix: ...`. An unclassified error keeps its
 * own message unchanged.
 */
export function describeFailure(error: unknown, context: FailureContext = {}): string {
  return formatFailure(classifyFailure(error, context));
}

/** The one-line form of a {@link Failure}. */
export function formatFailure(f: Failure): string {
  if (f.class === 'other') return f.message;
  return `${f.label}: ${f.message}${f.fix ? `. Fix: ${f.fix}` : ''}`;
}

/** Which class a socket or undici code belongs to, if any. */
function networkClassOf(code: string): FailureClass | undefined {
  if (DNS_CODES.has(code)) return 'dns';
  if (code === 'ECONNREFUSED') return 'connection-refused';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (isTlsCode(code)) return 'tls-certificate';
  if (CONNECTION_CODES.has(code)) return 'connection';
  return undefined;
}

function isTlsCode(code: string): boolean {
  return (
    UNTRUSTED_CERT_CODES.has(code) ||
    CERT_TIME_CODES.has(code) ||
    code.startsWith('CERT_') ||
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_SSL_') ||
    code === 'EPROTO'
  );
}

function classifyNetwork(net: NetworkError, during: 'sign-in' | undefined): Failure {
  const code = net.errorCode;
  const host = hostOf(net.url);
  const where = net.url ? ` (${net.method ? `${net.method} ` : ''}${withoutQuery(net.url)})` : '';
  const message = `${during === 'sign-in' ? 'sign-in request: ' : ''}${net.detail}${where}`;
  const base = { errorCode: code };
  if (net.proxyUrl) {
    const status = /Proxy response \((\d+)\)/.exec(net.detail)?.[1];
    if (status === '407') {
      return failure(
        'proxy',
        `the proxy ${net.proxyUrl} asks for authentication (407)${where}`,
        `put the proxy's user and password in the proxy URL (HTTPS_PROXY=http://USER:PASSWORD@HOST:PORT), or have ${host} allowed without authentication`,
        { ...base, status: 407 },
      );
    }
    if (status) {
      return failure(
        'proxy',
        `the proxy ${net.proxyUrl} refused to open a tunnel to ${host} (${status})${where}`,
        `the proxy cannot or will not reach ${host}: have it allowed on the proxy (the API, login and *.blob.core.windows.net hosts), or add the host to NO_PROXY if it is reached directly`,
        { ...base, status: Number(status) },
      );
    }
    if (code === PROXY_TUNNEL_ERROR_CODE) {
      return failure(
        'proxy',
        `the proxy ${net.proxyUrl} closed the connection instead of opening a tunnel to ${host}${where}`,
        `the proxy refuses ${host} or does not support CONNECT tunnels: have the host allowed on the proxy, or add the host to NO_PROXY if it is reached directly`,
        base,
      );
    }
    return failure(
      'proxy',
      `the proxy ${net.proxyUrl} cannot be reached: ${net.detail}${where}`,
      `check the proxy address and port in HTTPS_PROXY (or HTTP_PROXY); unset it, or list the host in NO_PROXY, if the host is reached directly`,
      base,
    );
  }
  switch (networkClassOf(code)) {
    case 'dns':
      return failure(
        'dns',
        message,
        code === 'EAI_AGAIN'
          ? `the DNS server did not answer for ${host}: check this machine's network and DNS settings; if only a proxy reaches the internet, set ${PROXY_ENV}`
          : `the host name ${host} does not resolve: check it for a typo in ${URL_FLAGS}, and this machine's DNS; if only a proxy reaches the internet, set ${PROXY_ENV}`,
        base,
      );
    case 'connection-refused':
      return failure(
        'connection-refused',
        message,
        `nothing accepts connections at ${host}: check the host and port in ${URL_FLAGS}; a firewall may be refusing the connection, or this network needs a proxy: set ${PROXY_ENV}`,
        base,
      );
    case 'timeout':
      return failure(
        'timeout',
        message,
        code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT'
          ? `${host} did not accept a connection in time: check the host in ${URL_FLAGS}; a firewall may drop the traffic, or this network needs a proxy: set ${PROXY_ENV}`
          : `${host} accepted the connection but did not answer in time: the service may be slow or overloaded, so try again later; a proxy or firewall holding connections open can do this too`,
        base,
      );
    case 'tls-certificate':
      return failure('tls-certificate', message, tlsFix(code, host), base);
    case 'connection':
      return failure(
        'connection',
        message,
        `the connection to ${host} was cut or the network has no route to it: check this machine's network; a proxy or firewall may be resetting connections`,
        base,
      );
    default:
      return failure(
        'connection',
        message,
        `check this machine's network, ${URL_FLAGS}, and any proxy: ${PROXY_ENV}`,
        base,
      );
  }
}

function tlsFix(code: string, host: string): string {
  if (CERT_TIME_CODES.has(code)) {
    return `the certificate of ${host} is expired or not yet valid: check this machine's clock; if the clock is right, the server or a TLS-inspecting proxy serves a bad certificate`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `the certificate of ${host} is for another name: check the host in ${URL_FLAGS}; ${CA_FIX}`;
  }
  if (code.startsWith('ERR_SSL_') || code === 'EPROTO') {
    return `${host} does not speak TLS here: check https:// against http:// and the port in ${URL_FLAGS}, and whether a proxy is in the way`;
  }
  return `this system trusts no certificate authority that signed the certificate of ${host}: ${CA_FIX}`;
}

function classifyStatus(status: number, message: string, notLicensed: boolean): Failure {
  const base = { status };
  if (status === 407) {
    return failure(
      'proxy',
      message,
      "the proxy asks for authentication: put the proxy's user and password in the proxy URL (HTTPS_PROXY=http://USER:PASSWORD@HOST:PORT)",
      base,
    );
  }
  if (notLicensed) {
    return failure(
      'http-status',
      message,
      'this data needs Defender Vulnerability Management (MDE Plan 2 or the add-on) and admin consent to the Vulnerability.Read.All, Software.Read.All and SecurityRecommendation.Read.All permissions',
      base,
    );
  }
  return failure('http-status', message, statusFix(status), base);
}

function statusFix(status: number): string {
  if (status === 401)
    return `the API did not accept the token: the API URL and the sign-in scope must be of the same cloud (${URL_FLAGS}, --scope)`;
  if (status === 403)
    return 'the app lacks the permission for this endpoint: add the WindowsDefenderATP application permission in Entra ID > App registrations > API permissions and grant admin consent';
  if (status === 404)
    return `the path does not exist on this host: check ${URL_FLAGS} (the API base, e.g. https://api.security.microsoft.com)`;
  if (status === 429)
    return 'the service throttled the client; it waits and retries by itself: run less often, or lower the parallel requests';
  if (status >= 500)
    return 'the service failed on its side: try again later; if it keeps failing, quote the correlation id in the message to Microsoft support';
  return 'the service refused the request: the message says why';
}

function classifySignIn(auth: AuthError, context: FailureContext): Failure {
  const base = auth.status !== undefined ? { status: auth.status } : {};
  // The token endpoint failing on its side is not a verdict on the credentials.
  if (auth.status !== undefined && (auth.status === 429 || auth.status >= 500) && !auth.aadsts) {
    return failure('http-status', auth.message, statusFix(auth.status), base);
  }
  const hint = auth.aadsts ? AADSTS_HINTS[auth.aadsts] : undefined;
  const message = hint ? auth.message.replace(`; ${hint}`, '') : auth.message;
  const fix = hint ?? oauthFix(auth.oauthError);
  const credential = auth.oauthError === 'invalid_client' || /secret|certificate/.test(fix);
  return failure(
    'sign-in',
    message,
    credential
      ? `${fix}; to store a new secret: mdec connector edit --name ${context.connector ?? 'NAME'} --client-secret-env VAR`
      : fix,
    base,
  );
}

function oauthFix(oauthError: string | undefined): string {
  switch (oauthError) {
    case 'invalid_client':
      return 'the client secret or certificate is wrong or expired: check it in Entra ID > App registrations > Certificates & secrets';
    case 'unauthorized_client':
      return 'the client id is not an app of this tenant: check the tenant id and the client id';
    case 'invalid_scope':
      return 'the scope is not valid here: check --cloud or --scope (it must end with /.default)';
    case 'invalid_request':
      return 'Entra refused the request: check the tenant id and the login URL';
    default:
      return 'check the tenant id, the client id and the secret or certificate in Entra ID > App registrations';
  }
}

function failure(cls: FailureClass, message: string, fix: string, extra: Partial<Failure> = {}): Failure {
  return { class: cls, label: FAILURE_LABELS[cls], message, fix, ...extra };
}

/** The error and its causes, outermost first (an AggregateError's first member stands for it). */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 8 && !chain.includes(current)) {
    chain.push(current);
    const next: unknown = (current as { cause?: unknown }).cause;
    current = next ?? (current as { errors?: unknown[] }).errors?.[0];
  }
  return chain;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}

function hostOf(url: string | undefined): string {
  if (!url) return 'the server';
  try {
    return new URL(url).host;
  } catch {
    return 'the server';
  }
}

function withoutQuery(url: string): string {
  const q = url.search(/[?#]/);
  return q < 0 ? url : url.slice(0, q);
}
