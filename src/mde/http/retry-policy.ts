/**
 * The retry decision as a pure function (docs/architecture.md#conventions): given what happened on one
 * attempt, say whether to try again, after how long, and why. No clock, no randomness of its own, no I/O, so
 * every branch is a row in a table-driven test.
 */

/**
 * Statuses that are worth another try: throttling and transient server errors
 * (docs/mde-api.md#throttling-and-retries).
 */
export const RETRYABLE_STATUSES = [429, 500, 502, 503, 504] as const;

/** Connection failures that are transient: resets, timeouts, a body that stopped half-way. */
export const RETRYABLE_ERROR_CODES = [
  'ECONNRESET',
  'ECONNABORTED',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_REQ_RETRY',
] as const;

/** The connector's default maximum retries per request (docs/data-model.md#connector). */
export const DEFAULT_MAX_RETRIES = 10;
/** Backoff base and cap when the server gives no `Retry-After`. */
export const DEFAULT_BASE_DELAY_MS = 1000;
export const DEFAULT_MAX_DELAY_MS = 60_000;
/** A `Retry-After` beyond the hourly window is not a wait worth doing inside one run. */
export const DEFAULT_MAX_RETRY_AFTER_MS = 3600_000;

/** What happened on one attempt. */
export interface RetryInput {
  /** 1-based number of the attempt that just failed. */
  attempt: number;
  /** Retries allowed after the first attempt; attempt `maxRetries + 1` is the last. */
  maxRetries: number;
  /** HTTP status, when the server answered. */
  status?: number | undefined;
  /** System or undici error code, when the connection failed. */
  errorCode?: string | undefined;
  /** The raw `Retry-After` header: seconds, or an HTTP date. */
  retryAfterHeader?: string | undefined;
  /** Uniform in [0, 1): the jitter source, injected so tests are exact. */
  random: () => number;
  /** The current time, needed only to read a `Retry-After` given as an HTTP date. */
  nowMs?: number | undefined;
  baseDelayMs?: number | undefined;
  maxDelayMs?: number | undefined;
  maxRetryAfterMs?: number | undefined;
}

/** The decision, with a reason for the log and the run history. */
export type RetryDecision =
  | { retry: true; delayMs: number; reason: string }
  | { retry: false; reason: string };

const RETRYABLE_STATUS_SET: ReadonlySet<number> = new Set(RETRYABLE_STATUSES);
const RETRYABLE_CODE_SET: ReadonlySet<string> = new Set(RETRYABLE_ERROR_CODES);

/**
 * Decides whether to retry. 429, 500, 502, 503, 504 and transient network errors retry; `Retry-After`
 * is honoured when present (docs/mde-api.md#throttling-and-retries: resending sooner only earns another 429);
 * otherwise capped exponential backoff with full jitter (delay uniform in [0, min(cap, base *
 * 2^(attempt-1))]). Any other status never retries (401 is renewed upstream), and nothing retries past
 * `maxRetries`.
 */
export function decideRetry(input: RetryInput): RetryDecision {
  const what = describe(input);
  if (input.status !== undefined) {
    if (input.status === 401) return { retry: false, reason: `${what}: renew the token instead` };
    if (!RETRYABLE_STATUS_SET.has(input.status)) return { retry: false, reason: `${what} is not retryable` };
  } else if (input.errorCode === undefined || !RETRYABLE_CODE_SET.has(input.errorCode)) {
    return { retry: false, reason: `${what} is not retryable` };
  }
  if (input.attempt > input.maxRetries) {
    return { retry: false, reason: `${what}: gave up after ${input.maxRetries} retries` };
  }
  const retryAfterMs = parseRetryAfter(input.retryAfterHeader, input.nowMs);
  if (retryAfterMs !== undefined) {
    const limit = input.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
    if (retryAfterMs > limit) {
      return {
        retry: false,
        reason: `${what}: Retry-After of ${Math.ceil(retryAfterMs / 1000)} s is too long`,
      };
    }
    return {
      retry: true,
      delayMs: retryAfterMs,
      reason: `${what}: Retry-After ${Math.ceil(retryAfterMs / 1000)} s`,
    };
  }
  const base = input.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
  const cap = input.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  // 2^30 already dwarfs any cap; clamping the exponent keeps the number finite.
  const ceiling = Math.min(cap, base * 2 ** Math.min(input.attempt - 1, 30));
  const r = Math.min(Math.max(input.random(), 0), 1);
  return { retry: true, delayMs: Math.floor(r * ceiling), reason: `${what}: backoff` };
}

/**
 * Milliseconds to wait from a `Retry-After` value: delta-seconds (`120`) or an HTTP date (a date in the
 * past means now). Undefined when absent, unreadable, or a date with no `nowMs` to compare it to.
 */
export function parseRetryAfter(header: string | undefined, nowMs?: number): number | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Math.round(Number(value) * 1000);
  if (nowMs === undefined || !/[a-z]/i.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

function describe(input: RetryInput): string {
  if (input.status !== undefined) return `HTTP ${input.status}`;
  return input.errorCode ? `network error ${input.errorCode}` : 'unknown failure';
}
