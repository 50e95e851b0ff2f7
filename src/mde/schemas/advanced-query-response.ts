/** The response of `POST /api/advancedqueries/run` (docs/mde-api.md#advanced-hunting). */
import * as z from 'zod';
import { text } from './fields.js';

/** One column of the result: `{ Name, Type }`. */
export const AdvancedQueryColumnSchema = z.looseObject({
  Name: text(),
  Type: text(),
});

/**
 * `{ Schema: [{Name, Type}], Results: [{...}] }`. The keys are PascalCase on the wire and kept so.
 * Result rows are KQL output, keyed by column name, and left as they are.
 */
export const AdvancedQueryResponseSchema = z.looseObject({
  Schema: z.array(AdvancedQueryColumnSchema).nullish(),
  Results: z.array(z.record(z.string(), z.unknown())),
});

/** A parsed advanced-query response. */
export type AdvancedQueryResponse = z.output<typeof AdvancedQueryResponseSchema>;
