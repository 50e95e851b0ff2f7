import * as z from 'zod';

/** A stored time as this connector writes it (ISO 8601); anything `Date.parse` cannot read fails. */
export const IsoTimeSchema = z.string().refine((t) => !Number.isNaN(Date.parse(t)), 'not a time');
