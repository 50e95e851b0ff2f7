/** Bad usage or bad input: the CLI prints the message and exits with code 2 (docs/operations.md). */
export class UsageError extends Error {
  readonly code = 'usage' as const;
}

/**
 * Exit codes of every command: 0 success, 1 failure, 2 bad usage or bad input (a missing database
 * included), 3 partial sync, 130 interrupted (Ctrl-C).
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, partial: 3, interrupted: 130 } as const;

/** The `code` of a JSON error (`{"error":{"code","message"}}`), one per exit code that ends in error. */
export const ERROR_CODES = ['usage', 'failure', 'interrupted'] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];
