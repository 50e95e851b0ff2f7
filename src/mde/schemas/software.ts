/**
 * The software entity: `GET /api/Software[/{id}]`, `/api/machines/{id}/software` and
 * `/api/recommendations/{id}/software` (docs/mde-api.md#software).
 */
import * as z from 'zod';
import { flag, identity, numeric, text } from './fields.js';

/** A software product. Required: `id` (`vendor-_-name`, e.g. `microsoft-_-edge`). */
export const SoftwareSchema = z.looseObject({
  id: identity(),
  name: text(),
  vendor: text(),
  weaknesses: numeric(),
  publicExploit: flag(),
  activeAlert: flag(),
  exposedMachines: numeric(),
  impactScore: numeric(),
});

/** A parsed software product. */
export type Software = z.output<typeof SoftwareSchema>;
/** A software product as MDE sends it. */
export type SoftwareInput = z.input<typeof SoftwareSchema>;
