import type { SimulatedClock } from './clock.js';
import type { TokenService } from './entra/token-service.js';
import type { ExportStore } from './export-store.js';
import type { FaultInjector } from './http/faults.js';
import type { RateLimiter } from './http/rate-limiter.js';
import type { MachineActionStore } from './machine-actions.js';
import type { SimulatedTenant } from './tenant/simulated-tenant.js';

/** Counts of answered requests, for tests and the benchmark's `apiCalls` figure. */
export interface RequestStats {
  total: number;
  byBucket: Record<string, number>;
  /**
   * API requests by the host they addressed (the `Host` header), so tests see which of Microsoft's
   * hosts (global or regional, docs/mde-api.md#clouds-and-hosts) a client called.
   */
  byApiHost: Record<string, number>;
  throttled: number;
  faults: number;
}

/** Everything a route needs, built once by the composition root (start-simulator.ts). */
export interface SimulatorState {
  tenant: SimulatedTenant;
  clock: SimulatedClock;
  tokens: TokenService;
  limiter: RateLimiter;
  faults: FaultInjector;
  exports: ExportStore;
  actions: MachineActionStore;
  stats: RequestStats;
  /**
   * Secret that signs blob SAS links; blob downloads carry no bearer token
   * (docs/mde-api.md#clouds-and-hosts).
   */
  blobSecret: Buffer;
  /** `http(s)://host:port`, known once the server listens. */
  baseUrl: string;
}
