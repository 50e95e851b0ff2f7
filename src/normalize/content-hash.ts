import { hash } from 'node:crypto';

/**
 * A short digest of the fields that matter, so a re-sync can tell an unchanged row from a changed one
 * without rewriting it (docs/sync.md#content-hashes). Volatile fields (last-seen times, IPs) are left
 * out by the callers.
 */
export function contentHash(values: readonly unknown[]): string {
  // One-shot hash (no Hash object per row): the same digest, at millions of rows a second cheaper.
  return hash('sha1', JSON.stringify(values), 'base64url').slice(0, 22);
}
