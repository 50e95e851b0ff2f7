/** How long a resolved credential is reused at most, even on an unchanged store (docs/api.md#authentication). */
export const PRINCIPAL_REUSE_MS = 1000;
/** Credentials remembered at most; the least recently resolved go first. */
const MAX_ENTRIES = 1000;

interface Entry<T> {
  marker: string;
  at: number;
  value: T;
}

/**
 * Who a bearer token or session cookie stands for, resolved once per store change marker
 * (store/db/change-marker.ts) and reused for at most {@link PRINCIPAL_REUSE_MS}. Whatever can make the
 * answer different is a commit (a token revoked, a session closed, a role changed, a user removed),
 * which moves the marker, so the next request resolves again; only what time alone changes (a
 * session's expiry and idle timeout, when a token's or session's last use is stamped) can be up to a
 * second late. Credentials that resolve to nobody are not remembered. Keys are hashes of the
 * credential, never the credential itself.
 */
export class PrincipalCache<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly now: () => Date) {}

  /** `resolve()`'s answer for `key` as of `marker` (read after the request arrived). */
  async resolve(key: string, marker: string, resolve: () => Promise<T | undefined>): Promise<T | undefined> {
    const at = this.now().getTime();
    const known = this.entries.get(key);
    if (known && known.marker === marker && at >= known.at && at - known.at < PRINCIPAL_REUSE_MS)
      return known.value;
    this.entries.delete(key);
    const value = await resolve();
    if (value === undefined) return undefined;
    this.entries.set(key, { marker, at, value });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }
}
