/**
 * Failed sign-ins, counted per user name and per address over a window (docs/api.md#authentication):
 * past the limit, sign-in answers 429 until the window has passed, whether the password is right or
 * not, so guessing one account from many places or many accounts from one place both stall. Kept in
 * memory: a restart forgets it, which only gives an attacker one more window.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limits = { perUser: 5, perAddress: 20, windowMs: 15 * 60 * 1000 },
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds to wait before trying again, or 0 when a try is allowed. */
  retryAfter(user: string, address: string): number {
    const at = this.now();
    const waits = [
      this.wait(`user:${user.toLowerCase()}`, this.limits.perUser, at),
      this.wait(`address:${address}`, this.limits.perAddress, at),
    ];
    return Math.max(...waits);
  }

  failed(user: string, address: string): void {
    const at = this.now();
    for (const key of [`user:${user.toLowerCase()}`, `address:${address}`]) {
      const list = this.recent(key, at);
      list.push(at);
      this.failures.set(key, list);
    }
    // Bounded memory: forget keys whose failures have all aged out.
    if (this.failures.size > 10_000)
      for (const [key] of this.failures) if (this.recent(key, at).length === 0) this.failures.delete(key);
  }

  /** A correct sign-in clears its user's failures (not its address's). */
  succeeded(user: string): void {
    this.failures.delete(`user:${user.toLowerCase()}`);
  }

  private recent(key: string, at: number): number[] {
    return (this.failures.get(key) ?? []).filter((t) => at - t < this.limits.windowMs);
  }

  private wait(key: string, limit: number, at: number): number {
    const list = this.recent(key, at);
    if (list.length < limit) return 0;
    return Math.ceil((list[list.length - limit]! + this.limits.windowMs - at) / 1000);
  }
}
