import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from '../store/db/store.js';
import { RUN_STATES } from '../store/runs/run-repository.js';
import type { SyncResult } from '../sync/run-sync.js';

/**
 * What `GET /metrics` reports (docs/api.md#metrics), in a registry of its own (no process-wide
 * singleton): runs by state (counted in the database when scraped, so runs of workers elsewhere
 * count too), rows synced, MDE API calls and time throttled by the runs this process ran, and HTTP
 * latency by route.
 */
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly rows: Counter<'stream' | 'change'>;
  private readonly apiCalls: Counter;
  private readonly throttled: Counter;
  private readonly latency: Histogram<'method' | 'route' | 'status'>;

  constructor(store: Store) {
    new Gauge({
      name: 'mdec_sync_runs',
      help: 'Sync runs in the store, by state',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const rows = await store.db
          .selectFrom('syncRuns')
          .select(['state', (eb) => eb.fn.countAll<number>().as('n')])
          .groupBy('state')
          .execute();
        for (const state of RUN_STATES) this.set({ state }, 0);
        for (const r of rows) this.set({ state: r.state }, Number(r.n));
      },
    });
    this.rows = new Counter({
      name: 'mdec_rows_synced_total',
      help: 'Records written by syncs this process ran, by stream and change (inserted, updated, closed)',
      labelNames: ['stream', 'change'],
      registers: [this.registry],
    });
    this.apiCalls = new Counter({
      name: 'mdec_mde_api_calls_total',
      help: 'MDE API calls made by syncs this process ran',
      registers: [this.registry],
    });
    this.throttled = new Counter({
      name: 'mdec_mde_throttled_seconds_total',
      help: 'Time syncs this process ran spent waiting for MDE rate limits',
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: 'mdec_http_request_duration_seconds',
      help: 'API request latency by route',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
  }

  recordRun(result: SyncResult): void {
    for (const [stream, c] of Object.entries(result.counters)) {
      this.rows.inc({ stream, change: 'inserted' }, c.inserted);
      this.rows.inc({ stream, change: 'updated' }, c.updated);
      this.rows.inc({ stream, change: 'closed' }, c.closed);
    }
    this.apiCalls.inc(result.apiCalls);
    this.throttled.inc(result.throttledMs / 1000);
  }

  /** `route` is the route's pattern (`/api/hosts/:id`), never the URL, so labels stay few. */
  recordRequest(method: string, route: string, status: number, seconds: number): void {
    this.latency.observe({ method, route, status: String(status) }, seconds);
  }
}
