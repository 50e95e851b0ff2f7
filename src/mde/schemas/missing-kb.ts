/** One item of `GET /api/machines/{id}/getmissingkbs` (docs/mde-api.md#machines). */
import * as z from 'zod';
import { identity, numeric, text, texts } from './fields.js';

/** A missing security update. Required: `id` (the KB number without "KB", e.g. `4540673`). */
export const MissingKbSchema = z.looseObject({
  id: identity(),
  name: text(),
  productsNames: texts(),
  url: text(),
  machineMissedOn: numeric(),
  cveAddressed: numeric(),
});

/** A parsed missing-KB item. */
export type MissingKb = z.output<typeof MissingKbSchema>;
/** A missing-KB item as MDE sends it. */
export type MissingKbInput = z.input<typeof MissingKbSchema>;
