/**
 * The errors of the MDE client (docs/architecture.md#conventions): a few `Error` subclasses, each with a
 * literal `code` callers switch on, a `retryable` flag and the underlying `cause`. Messages never carry
 * secrets, tokens or SAS signatures: URLs are redacted before they get here.
 */

/** Every `code` an {@link MdeError} can carry. */
export const MDE_ERROR_CODES = [
  'auth',
  'api',
  'not-licensed',
  'network',
  'paging',
  'export-file',
  'action-timeout',
  'config',
] as const;

/** The `code` of an {@link MdeError}. */
export type MdeErrorCode = (typeof MDE_ERROR_CODES)[number];

/** Base class of the client's errors. */
export abstract class MdeError extends Error {
  abstract readonly code: MdeErrorCode;
  /** Whether trying the same thing again later may succeed. */
  readonly retryable: boolean;

  protected constructor(message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable;
  }
}

/** True for any error of this module. */
export function isMdeError(error: unknown): error is MdeError {
  return error instanceof MdeError;
}

/** A configuration value that cannot work; the message names the field and what is allowed. */
export class ConfigError extends MdeError {
  readonly code = 'config' as const;

  constructor(
    /** The option at fault, e.g. `apiUrl`. */
    readonly field: string,
    message: string,
  ) {
    super(message, { retryable: false });
  }
}

/** Details of an Entra ID sign-in failure. */
export interface AuthErrorDetails {
  /** HTTP status of the token endpoint, when it answered. */
  status?: number;
  /** Entra's number, e.g. `AADSTS7000215` (invalid client secret), when it gave one. */
  aadsts?: string;
  /** The OAuth `error`, e.g. `invalid_client`. */
  oauthError?: string;
  /** Entra's `error_description`: it names the problem, never the secret. */
  description?: string;
  retryable?: boolean;
  cause?: unknown;
}

/**
 * Sign-in failed (docs/mde-api.md#sign-in): wrong tenant, client, secret, certificate, scope or no consent.
 */
export class AuthError extends MdeError {
  readonly code = 'auth' as const;
  readonly status: number | undefined;
  readonly aadsts: string | undefined;
  readonly oauthError: string | undefined;
  readonly description: string | undefined;

  constructor(message: string, details: AuthErrorDetails = {}) {
    super(message, { retryable: details.retryable ?? false, cause: details.cause });
    this.status = details.status;
    this.aadsts = details.aadsts;
    this.oauthError = details.oauthError;
    this.description = details.description;
  }
}

/** Details of an MDE API failure. */
export interface ApiErrorDetails {
  status: number;
  /**
   * MDE's `error.code` (docs/mde-api.md#errors), e.g. `ResourceNotFound`; match on it, not on the message.
   */
  mdeCode?: string;
  /** MDE's `error.target`: a correlation request id to quote to Microsoft support. */
  target?: string;
  method?: string;
  /** The request URL, already redacted. */
  url?: string;
  retryable?: boolean;
  cause?: unknown;
}

/** The MDE API answered with an error status (docs/mde-api.md#errors). */
export class ApiError extends MdeError {
  readonly code: 'api' | 'not-licensed' = 'api';
  readonly status: number;
  readonly mdeCode: string | undefined;
  readonly target: string | undefined;
  readonly method: string | undefined;
  readonly url: string | undefined;

  constructor(message: string, details: ApiErrorDetails) {
    super(message, { retryable: details.retryable ?? false, cause: details.cause });
    this.status = details.status;
    this.mdeCode = details.mdeCode;
    this.target = details.target;
    this.method = details.method;
    this.url = details.url;
  }
}

/**
 * A 403 from a vulnerability-management endpoint: no Defender Vulnerability Management licence, or the
 * app lacks a consented TVM permission. Callers must report the data as
 * unknown, never as "zero vulnerabilities" (docs/mde-api.md#not-licensed).
 */
export class NotLicensedError extends ApiError {
  override readonly code = 'not-licensed' as const;
}

/** Details of a {@link NetworkError}. */
export interface NetworkErrorDetails {
  errorCode: string;
  /** The request URL, already redacted. */
  url?: string;
  method?: string;
  /** What the socket layer said, e.g. `connect ECONNREFUSED 127.0.0.1:1234`. */
  detail?: string;
  /** The proxy (without credentials) when the failure was the proxy's, not the target host's. */
  proxyUrl?: string;
  retryable?: boolean;
  cause?: unknown;
}

/** The connection failed: refused, reset, timed out, or the body stopped half-way. */
export class NetworkError extends MdeError {
  readonly code = 'network' as const;
  /** The system or undici error code, e.g. `ECONNRESET`, `UND_ERR_HEADERS_TIMEOUT`. */
  readonly errorCode: string;
  readonly url: string | undefined;
  readonly method: string | undefined;
  /** What the socket layer said; falls back to the message. */
  readonly detail: string;
  readonly proxyUrl: string | undefined;

  constructor(message: string, details: NetworkErrorDetails) {
    super(message, { retryable: details.retryable ?? true, cause: details.cause });
    this.errorCode = details.errorCode;
    this.url = details.url;
    this.method = details.method;
    this.detail = details.detail ?? message;
    this.proxyUrl = details.proxyUrl;
  }
}

/** Why paging stopped (docs/mde-api.md#paging: paging that refuses to loop or to truncate silently). */
export const PAGING_FAILURES = ['loop', 'repeated-id', 'malformed-link', 'incomplete', 'bad-page'] as const;

/** The `reason` of a {@link PagingError}. */
export type PagingFailure = (typeof PAGING_FAILURES)[number];

/**
 * Paging cannot go on safely: a nextLink that loops or is malformed, ids seen on an earlier page, a
 * full page with no way to the next one, or a page that is not an OData collection. The pull is
 * incomplete; a sync must treat the run as partial and close nothing.
 */
export class PagingError extends MdeError {
  readonly code = 'paging' as const;

  constructor(
    readonly reason: PagingFailure,
    message: string,
    /** The request path (no query) of the page that failed. */
    readonly path?: string,
  ) {
    super(message, { retryable: false });
  }
}

/** Why an export file failed. */
export const EXPORT_FILE_FAILURES = ['expired', 'truncated', 'empty', 'http'] as const;

/** The `reason` of an {@link ExportFileError}. */
export type ExportFileFailure = (typeof EXPORT_FILE_FAILURES)[number];

/**
 * One export file could not be read (docs/mde-api.md#export-files). `expired`: the blob answered 403
 * AuthenticationFailed, the SAS link is no longer valid, so request the export again. `truncated`:
 * the gzip stream ended early or is corrupt; `empty`: the body was 0 bytes. Those fail the file,
 * which can be downloaded again; the process goes on.
 */
export class ExportFileError extends MdeError {
  readonly code = 'export-file' as const;
  readonly expired: boolean;
  readonly status: number | undefined;
  /** The file URL with its SAS signature redacted. */
  readonly url: string | undefined;

  constructor(
    readonly reason: ExportFileFailure,
    message: string,
    details: { status?: number; url?: string; cause?: unknown } = {},
  ) {
    // Both an expired link (re-request) and a cut file (download again) can work the next time.
    super(message, { retryable: reason !== 'http', cause: details.cause });
    this.expired = reason === 'expired';
    this.status = details.status;
    this.url = details.url;
  }
}

/**
 * A machine action did not reach a final status in time (docs/mde-api.md#machine-actions). The action may
 * still finish later; poll again before sending the opposite action (docs/mde-api.md#machine-actions:
 * serialize per device).
 */
export class ActionTimeoutError extends MdeError {
  readonly code = 'action-timeout' as const;

  constructor(
    readonly actionId: string,
    /** The last status seen, e.g. `Pending`. */
    readonly lastStatus: string | undefined,
    message: string,
  ) {
    super(message, { retryable: true });
  }
}
