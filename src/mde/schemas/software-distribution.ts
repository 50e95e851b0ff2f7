/** One item of `GET /api/Software/{id}/distributions` (docs/mde-api.md#software). */
import * as z from 'zod';
import { identity, numeric } from './fields.js';

/** Installations of one version of a product. Required: `version`, the item's identity. */
export const SoftwareDistributionSchema = z.looseObject({
  version: identity(),
  installations: numeric(),
  vulnerabilities: numeric(),
});

/** A parsed distribution item. */
export type SoftwareDistribution = z.output<typeof SoftwareDistributionSchema>;
/** A distribution item as MDE sends it. */
export type SoftwareDistributionInput = z.input<typeof SoftwareDistributionSchema>;
