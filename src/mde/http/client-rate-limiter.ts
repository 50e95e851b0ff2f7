/**
 * Client-side rate limiting by endpoint family (docs/mde-api.md#rate-limits, docs/sync.md): the connector
 * never sends more calls than the documented minute and hour budgets allow, waits instead, and reports how
 * long it waited. Budgets are kept per tenant + app + family, since limits are per application and
 * tenant; a 429 pauses the whole family for that tenant.
 */

/**
 * Endpoint families. `entity`: machines, alerts, machine actions and their drill-downs (100/min,
 * 1500/h). `machineVulnerabilities`: `/machines/{id}/vulnerabilities` (50/min). `assessmentJson`: the
 * paged `...ByMachine` exports and the change feed (30/min, 1000/h). `assessmentExport`: the via-files
 * exports (5/min, 20/h). `tvmEntity`: CVE catalog, software, recommendations, machinesVulnerabilities,
 * whose budget is undocumented, so they get the entity budget. `advancedQuery`: 45/min, 1500/h.
 */
export const ENDPOINT_FAMILIES = [
  'entity',
  'tvmEntity',
  'machineVulnerabilities',
  'assessmentJson',
  'assessmentExport',
  'advancedQuery',
] as const;

/** One of {@link ENDPOINT_FAMILIES}. */
export type EndpointFamily = (typeof ENDPOINT_FAMILIES)[number];

/**
 * Families served by Defender Vulnerability Management: a 403 there means "not licensed"
 * (docs/mde-api.md#not-licensed).
 */
export const TVM_FAMILIES: ReadonlySet<EndpointFamily> = new Set([
  'tvmEntity',
  'machineVulnerabilities',
  'assessmentJson',
  'assessmentExport',
]);

/** Calls allowed per sliding minute and per sliding hour. */
export interface RateBudget {
  perMinute: number;
  perHour: number;
}

/** The documented budgets (docs/mde-api.md#rate-limits). */
export const FAMILY_BUDGETS = {
  entity: { perMinute: 100, perHour: 1500 },
  tvmEntity: { perMinute: 100, perHour: 1500 },
  machineVulnerabilities: { perMinute: 50, perHour: 1500 },
  assessmentJson: { perMinute: 30, perHour: 1000 },
  assessmentExport: { perMinute: 5, perHour: 20 },
  advancedQuery: { perMinute: 45, perHour: 1500 },
} as const satisfies Record<EndpointFamily, RateBudget>;

/** Clock and sleep, injected so tests run on a fake clock in no time. */
export interface LimiterTime {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Options of {@link ClientRateLimiter}. */
export interface ClientRateLimiterOptions {
  /** Budget overrides per family, e.g. a smaller share when several connectors use one app. */
  budgets?: Partial<Record<EndpointFamily, RateBudget>>;
  time?: LimiterTime;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 3600_000;

/** Real time: `Date.now` and a timer that an abort signal can cut short. */
export const realTime: LimiterTime = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** @internal Calls granted in the last hour (oldest first) and a pause set by a 429. */
export class FamilyWindow {
  /** Grant times, ascending; never more than `perHour` entries. */
  readonly grants: number[] = [];
  pausedUntil = 0;

  constructor(readonly budget: RateBudget) {}

  /** Milliseconds until a call may go, or 0 when it may go now. */
  waitAt(now: number): number {
    while (this.grants.length > 0 && this.grants[0]! <= now - HOUR_MS) this.grants.shift();
    let wait = Math.max(0, this.pausedUntil - now);
    const n = this.grants.length;
    if (n >= this.budget.perHour)
      wait = Math.max(wait, this.grants[n - this.budget.perHour]! + HOUR_MS - now);
    if (n >= this.budget.perMinute) {
      wait = Math.max(wait, this.grants[n - this.budget.perMinute]! + MINUTE_MS - now);
    }
    return wait;
  }
}

/**
 * The limiter shared by every client of one process. Get the view of one tenant and app with
 * {@link ClientRateLimiter.forApp}; two connectors on the same tenant and app share its budgets.
 */
export class ClientRateLimiter {
  private readonly windows = new Map<string, FamilyWindow>();
  readonly time: LimiterTime;
  private readonly budgets: Record<EndpointFamily, RateBudget>;

  constructor(options: ClientRateLimiterOptions = {}) {
    this.time = options.time ?? realTime;
    this.budgets = { ...FAMILY_BUDGETS, ...options.budgets };
  }

  /** The limiter of one tenant and app. */
  forApp(tenantId: string, clientId: string): TenantRateLimiter {
    return new TenantRateLimiter(this, `${tenantId.toLowerCase()}|${clientId.toLowerCase()}`);
  }

  /** @internal The window of one tenant+app+family, created on first use. */
  window(key: string, family: EndpointFamily): FamilyWindow {
    const id = `${key}|${family}`;
    let w = this.windows.get(id);
    if (!w) {
      w = new FamilyWindow(this.budgets[family]);
      this.windows.set(id, w);
    }
    return w;
  }
}

/** The budgets of one tenant + app, per endpoint family. */
export class TenantRateLimiter {
  private waitedMs = 0;

  constructor(
    private readonly shared: ClientRateLimiter,
    /** `tenant|app`, lower-case. */
    readonly key: string,
  ) {}

  /** The clock and sleep this limiter waits with; clients reuse them for backoff. */
  get time(): LimiterTime {
    return this.shared.time;
  }

  /** Total time callers of this view spent waiting for budget or a pause, in ms. */
  get throttledMs(): number {
    return this.waitedMs;
  }

  /**
   * Waits until the family has budget (and no pause), then counts one call.
   *
   * @returns the milliseconds this call waited.
   */
  async acquire(family: EndpointFamily, signal?: AbortSignal): Promise<number> {
    const { time } = this.shared;
    const window = this.shared.window(this.key, family);
    let waited = 0;
    for (;;) {
      const now = time.now();
      const wait = window.waitAt(now);
      if (wait <= 0) {
        // Check and count in one synchronous step, so concurrent callers cannot both take the last slot.
        window.grants.push(now);
        return waited;
      }
      await time.sleep(wait, signal);
      waited += wait;
      this.waitedMs += wait;
    }
  }

  /**
   * Stops every call of the family for `ms` (a 429 arrived; docs/mde-api.md#throttling-and-retries). Pauses
   * never shorten.
   */
  pause(family: EndpointFamily, ms: number): void {
    const window = this.shared.window(this.key, family);
    window.pausedUntil = Math.max(window.pausedUntil, this.shared.time.now() + Math.max(0, ms));
  }

  /** Calls the family could make right now without waiting (for planning and tests). */
  available(family: EndpointFamily): { minute: number; hour: number } {
    const window = this.shared.window(this.key, family);
    const now = this.shared.time.now();
    window.waitAt(now);
    const inMinute = window.grants.filter((t) => t > now - MINUTE_MS).length;
    return {
      minute: Math.max(0, window.budget.perMinute - inMinute),
      hour: Math.max(0, window.budget.perHour - window.grants.length),
    };
  }
}
