/**
 * A security recommendation: `GET /api/recommendations[/{id}]` and
 * `/api/machines/{id}/recommendations` (docs/mde-api.md#recommendations).
 */
import * as z from 'zod';
import { flag, identity, numeric, text, texts } from './fields.js';

/** Documented `recommendationCategory` values (6); `Security controls` with a space is also observed. */
export const RECOMMENDATION_CATEGORIES = [
  'Accounts',
  'Application',
  'Network',
  'OS',
  'SecurityControls',
] as const;

/** Documented `remediationType` values (6). */
export const REMEDIATION_TYPES = ['ConfigurationChange', 'Update', 'Upgrade', 'Uninstall'] as const;

/** Documented recommendation `status` values (6). */
export const RECOMMENDATION_STATUSES = ['Active', 'Exception'] as const;

/** A recommendation. Required: `id` (e.g. `va-_-microsoft-_-edge`, or `sca-_-scid-2500`). */
export const RecommendationSchema = z.looseObject({
  id: identity(),
  productName: text(),
  recommendationName: text(),
  weaknesses: numeric(),
  vendor: text(),
  /** Often `""`. */
  recommendedVersion: text(),
  recommendedProgram: text(),
  recommendedVendor: text(),
  recommendationCategory: text(),
  subCategory: text(),
  /** 1 to 10. */
  severityScore: numeric(),
  publicExploit: flag(),
  activeAlert: flag(),
  associatedThreats: texts(),
  remediationType: text(),
  status: text(),
  configScoreImpact: numeric(),
  exposureImpact: numeric(),
  totalMachineCount: numeric(),
  exposedMachinesCount: numeric(),
  nonProductivityImpactedAssets: numeric(),
  relatedComponent: text(),
  hasUnpatchableCve: flag(),
  tags: texts(),
  exposedCriticalDevices: numeric(),
});

/** A parsed recommendation. */
export type Recommendation = z.output<typeof RecommendationSchema>;
/** A recommendation as MDE sends it. */
export type RecommendationInput = z.input<typeof RecommendationSchema>;
