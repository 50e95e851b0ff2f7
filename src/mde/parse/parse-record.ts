/**
 * Parses one raw MDE record: case-insensitive key normalisation (docs/mde-api.md#vulnerability-rows), then
 * the lenient schema. Never throws: a bad record becomes a counted rejection with a reason, never a crash of
 * the run (docs/architecture.md#conventions).
 */
import * as z from 'zod';
import { describeValue, issueReason } from './issue-reason.js';
import { keySpecFromSchema } from './key-spec-from-schema.js';
import { normalizeKeys } from './normalize-keys.js';

/**
 * Compiled clones of the schemas parsed so far, for the millions of rows of a full sync. `z.compile`
 * generates a faster parser for the success path (docs/benchmarks.md) and falls back to the runtime parser,
 * with its usual issues, whenever the fast path does not accept the input.
 */
const compiled = new WeakMap<z.ZodType, z.ZodType>();

function compiledSchema<S extends z.ZodType>(schema: S): S {
  const cached = compiled.get(schema);
  if (cached !== undefined) return cached as S;
  const fast = z.compile(schema);
  compiled.set(schema, fast);
  return fast;
}

/** The outcome of {@link parseRecord}. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Options of {@link parseRecord}. */
export interface ParseRecordOptions {
  /**
   * Map keys onto the schema's spellings case-insensitively (default true). Turn it off for request
   * bodies, whose parameter names MDE matches case-sensitively (docs/mde-api.md#errors).
   */
  normalizeKeys?: boolean;
}

/**
 * Normalises the keys of `raw` to the schema's canonical names and validates it.
 *
 * @returns `{ ok: true, value }` with the schema's output (timestamps ISO UTC, numbers as numbers,
 *   unknown keys kept), or `{ ok: false, reason }` where the reason names the failing field, e.g.
 *   `rbacGroupId: expected a number, got "abc"`.
 */
export function parseRecord<S extends z.ZodType>(
  schema: S,
  raw: unknown,
  options?: ParseRecordOptions,
): ParseResult<z.output<S>> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, reason: `record: expected an object, got ${describeValue(raw)}` };
  }
  try {
    const input =
      options?.normalizeKeys === false
        ? raw
        : normalizeKeys(raw as Record<string, unknown>, keySpecFromSchema(schema));
    const result = compiledSchema(schema).safeParse(input);
    if (result.success) return { ok: true, value: result.data };
    return { ok: false, reason: issueReason(result.error.issues, input) };
  } catch (error) {
    // Only a bug in a transform could get here; still a rejection, not a crash of the run.
    return {
      ok: false,
      reason: `record: parser error: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
