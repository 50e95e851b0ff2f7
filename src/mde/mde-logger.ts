/**
 * The client's logging seam: a plain function or a pino-like object, injected
 * (docs/architecture.md#conventions: no module singletons). Every entry is redacted before it leaves, so a
 * logger never sees a token, a client secret or a SAS signature.
 */
import { redactText, redactValue } from './http/redact.js';

/** Levels the client logs at. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One structured log entry: `event` is a stable name such as `retry` or `token-renewed`. */
export interface LogEntry {
  level: LogLevel;
  event: string;
  msg: string;
  [field: string]: unknown;
}

/** A logger that takes whole entries. */
export type LogFunction = (entry: LogEntry) => void;

/** The subset of pino's API the client uses: `logger.warn({ fields }, 'message')`. */
export interface PinoLikeLogger {
  debug?(fields: object, msg?: string): void;
  info?(fields: object, msg?: string): void;
  warn?(fields: object, msg?: string): void;
  error?(fields: object, msg?: string): void;
}

/** What callers may inject. */
export type MdeLogger = LogFunction | PinoLikeLogger;

/** The function the client's parts call; it redacts and forwards. */
export type LogSink = (level: LogLevel, event: string, msg: string, fields?: Record<string, unknown>) => void;

/**
 * Wraps an injected logger (or none) into a redacting {@link LogSink}.
 *
 * @param knownSecrets exact values to blank wherever they appear (e.g. the client secret), on top of
 *   the pattern-based redaction.
 */
export function createLogSink(logger: MdeLogger | undefined, knownSecrets: readonly string[] = []): LogSink {
  if (!logger) return () => {};
  return (level, event, msg, fields = {}) => {
    const safeFields = redactValue(fields, knownSecrets) as Record<string, unknown>;
    const safeMsg = redactText(msg, knownSecrets);
    try {
      if (typeof logger === 'function') {
        logger({ ...safeFields, level, event, msg: safeMsg });
      } else {
        logger[level]?.({ ...safeFields, event }, safeMsg);
      }
    } catch {
      // A failing logger must not fail a sync.
    }
  };
}
