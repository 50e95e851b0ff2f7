import { createHash } from 'node:crypto';

/**
 * A short digest of the fields that matter, so a re-sync can tell an unchanged row from a changed one
 * without rewriting it (design.md 2, sync engine). Volatile fields (last-seen times, IPs) are left
 * out by the callers (peer-lessons 3.6).
 */
export function contentHash(values: readonly unknown[]): string {
  return createHash('sha1').update(JSON.stringify(values)).digest('base64url').slice(0, 22);
}
