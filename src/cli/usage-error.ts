/** Bad usage or bad input: the CLI prints the message and exits with code 2 (design.md 6). */
export class UsageError extends Error {
  readonly code = 'usage' as const;
}

export const EXIT = { ok: 0, failure: 1, usage: 2, partial: 3 } as const;
