/**
 * MDE's documented call budgets (docs/mde-api.md#rate-limits): per API, per minute and per hour. The
 * simulator counts them per tenant, app and endpoint family in fixed windows of real time, because clients
 * wait real seconds when told `Retry-After`.
 */
export interface RateBudget {
  perMinute: number;
  perHour: number;
}

export type RateLimitMode = 'real' | 'off';

interface WindowCount {
  minuteStart: number;
  minuteCount: number;
  hourStart: number;
  hourCount: number;
}

export type RateDecision =
  | { allowed: true }
  | { allowed: false; retryAfterSeconds: number; window: 'minute' | 'hour' };

export class RateLimiter {
  private readonly windows = new Map<string, WindowCount>();

  constructor(
    private readonly mode: RateLimitMode,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one call and says whether it is within budget. A refused call does not count. */
  take(key: string, budget: RateBudget): RateDecision {
    if (this.mode === 'off') return { allowed: true };
    const t = this.now();
    let w = this.windows.get(key);
    if (!w) {
      w = { minuteStart: t, minuteCount: 0, hourStart: t, hourCount: 0 };
      this.windows.set(key, w);
    }
    if (t - w.minuteStart >= 60_000) {
      w.minuteStart = t;
      w.minuteCount = 0;
    }
    if (t - w.hourStart >= 3_600_000) {
      w.hourStart = t;
      w.hourCount = 0;
    }
    if (w.hourCount >= budget.perHour) {
      return { allowed: false, window: 'hour', retryAfterSeconds: secondsUntil(w.hourStart + 3_600_000, t) };
    }
    if (w.minuteCount >= budget.perMinute) {
      return { allowed: false, window: 'minute', retryAfterSeconds: secondsUntil(w.minuteStart + 60_000, t) };
    }
    w.minuteCount++;
    w.hourCount++;
    return { allowed: true };
  }

  reset(): void {
    this.windows.clear();
  }
}

function secondsUntil(end: number, t: number): number {
  return Math.max(1, Math.ceil((end - t) / 1000));
}
