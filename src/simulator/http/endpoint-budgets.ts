import type { RateBudget } from './rate-limiter.js';

/**
 * Per-API call budgets, exactly as docs/mde-api.md#rate-limits documents them. Each API has its own bucket;
 * APIs whose budget is not documented are not limited by the simulator.
 */
export const BUDGETS = {
  entity: { perMinute: 100, perHour: 1500 },
  machineVulnerabilities: { perMinute: 50, perHour: 1500 },
  assessmentJson: { perMinute: 30, perHour: 1000 },
  assessmentExport: { perMinute: 5, perHour: 20 },
  advancedQuery: { perMinute: 45, perHour: 1500 },
} as const satisfies Record<string, RateBudget>;

/** Application permissions (docs/mde-api.md#permissions); a route accepts any one of its list. */
export const ROLES = {
  machineRead: ['Machine.Read.All', 'Machine.ReadWrite.All'],
  alertRead: ['Alert.Read.All', 'Alert.ReadWrite.All'],
  vulnerabilityRead: ['Vulnerability.Read.All'],
  softwareRead: ['Software.Read.All'],
  recommendationRead: ['SecurityRecommendation.Read.All'],
  userRead: ['User.Read.All'],
  isolate: ['Machine.Isolate'],
  scan: ['Machine.Scan'],
} as const satisfies Record<string, readonly string[]>;
