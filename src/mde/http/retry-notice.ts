/**
 * What the client tells its caller each time it schedules a retry, so a person watching a terminal
 * sees `retrying in 8 s (3 of 10): connect ECONNREFUSED 127.0.0.1:1234` as it happens instead of a
 * silent wait. Every retry loop of the client (API requests, sign-in, export downloads) reports here.
 */

/** One scheduled retry. */
export interface RetryNotice {
  /** Which request: `GET /api/machines`, `sign-in`, `export file`. No query string, no secrets. */
  request: string;
  /** 1-based number of this retry. */
  retry: number;
  /** Retries allowed for the request. */
  maxRetries: number;
  /** How long the client waits before trying again. */
  delayMs: number;
  /** What failed: `connect ECONNREFUSED 127.0.0.1:1234`, `HTTP 503`. Already redacted. */
  cause: string;
  /** The server throttled the client (429): the wait is the server's `Retry-After` or a backoff. */
  throttled: boolean;
}

/** Receives {@link RetryNotice}s; it must not throw (a failing listener is ignored). */
export type RetryListener = (notice: RetryNotice) => void;

/**
 * The one-line form of a retry: `retrying in 8 s (3 of 10): connect ECONNREFUSED 127.0.0.1:1234`, or
 * for throttling `throttled, waiting 30 s (1 of 10): GET /api/machines answered 429`.
 */
export function formatRetryNotice(notice: RetryNotice): string {
  const wait = formatWait(notice.delayMs);
  const count = `(${notice.retry} of ${notice.maxRetries})`;
  if (notice.throttled) return `throttled, waiting ${wait} ${count}: ${notice.request} answered 429`;
  return `retrying in ${wait} ${count}: ${notice.cause}`;
}

/** Seconds as a person reads them: `0.4 s` under one second, whole seconds above. */
export function formatWait(ms: number): string {
  if (ms < 1000) return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 1000)} s`;
}

/** Calls a listener, if any, shielding the retry loop from its failures. */
export function emitRetry(listener: RetryListener | undefined, notice: RetryNotice): void {
  if (!listener) return;
  try {
    listener(notice);
  } catch {
    // Reporting a retry must never change whether the request is retried.
  }
}
