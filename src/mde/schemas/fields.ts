/**
 * Field-level building blocks shared by every MDE payload schema.
 *
 * Leniency rules (docs/architecture.md#conventions, docs/mde-api.md#documentation-defects):
 * - Only identity fields are required. Every other field is optional *and* nullable: the docs' type
 *   tables disagree with the wire too often (docs/mde-api.md#field-casing) to reject a whole finding because
 *   a descriptive field came back null.
 * - Enumerations are plain strings: MDE adds values without notice. The documented values are exported
 *   next to each schema as `as const` arrays, for reference only.
 * - Numbers also arrive as strings (docs/mde-api.md#field-casing: `rbacGroupId`, `CvssScore`; OData's
 *   IEEE754Compatible form does the same for Int64), so numeric fields accept numeric strings and normalise
 *   to `number`.
 * - Timestamps are validated and rewritten in place to ISO-8601 UTC (see {@link timestamp}).
 */
import * as z from 'zod';
import { toIsoUtc } from '../parse/timestamps.js';

/** Longest slice of an offending value quoted back in a rejection reason. */
const PREVIEW_CHARS = 40;

function preview(value: string): string {
  return JSON.stringify(value.length > PREVIEW_CHARS ? `${value.slice(0, PREVIEW_CHARS)}…` : value);
}

const NUMERIC_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A blank string is "no value", not garbage: the export formats have no other way to say null. */
function isBlank(value: string): boolean {
  return value.length === 0 || value.trim().length === 0;
}

/** A required identity string: present and non-empty (e.g. machine `id`, row `deviceId`). */
export function identity() {
  return z.string().min(1);
}

/** An optional, nullable string (free text or an opaque enumeration value). */
export function text() {
  return z.string().nullish();
}

/** An optional, nullable boolean. */
export function flag() {
  return z.boolean().nullish();
}

/** An optional, nullable list of strings. */
export function texts() {
  return z.array(z.string()).nullish();
}

/** Number or numeric string → number; blank → null (docs/mde-api.md#field-casing). */
function lenientNumber(integer: boolean) {
  return z
    .union([z.number(), z.string()], { error: 'expected a number or a numeric string' })
    .transform((value, ctx): number | null => {
      let n: number;
      if (typeof value === 'number') {
        n = value;
      } else {
        if (isBlank(value)) return null;
        const trimmed = value.trim();
        if (!NUMERIC_TEXT.test(trimmed)) {
          ctx.issues.push({
            code: 'custom',
            message: `expected a number, got ${preview(value)}`,
            input: value,
          });
          return z.NEVER;
        }
        n = Number(trimmed);
      }
      if (integer && !Number.isInteger(n)) {
        ctx.issues.push({ code: 'custom', message: `expected an integer, got ${n}`, input: value });
        return z.NEVER;
      }
      return n;
    });
}

/** An optional, nullable number that also accepts a numeric string (e.g. `cvssScore: "6.2"` → 6.2). */
export function numeric() {
  return lenientNumber(false).nullish();
}

/**
 * `rbacGroupId`: typed String in the docs, a JSON number on the wire (docs/mde-api.md#machine-fields,
 * #field-casing). Accepts both and normalises to an integer, so `"140"` and `140` compare equal in the RBAC
 * de-duplication of delta rows (docs/mde-api.md#delta-feed).
 */
export function rbacGroupId() {
  return lenientNumber(true).nullish();
}

function rejectTimestamp(ctx: z.core.ParsePayload<string>, value: string): never {
  ctx.issues.push({ code: 'custom', message: `not a timestamp: ${preview(value)}`, input: value });
  return z.NEVER;
}

/**
 * An optional, nullable timestamp. The wire value (`2020-12-30 14:17:26`, `...T20:33:59.2Z`,
 * `...+00:00`; docs/mde-api.md#timestamps) is validated and replaced by its ISO-8601 UTC form with
 * milliseconds (`2020-12-30T14:17:26.000Z`), so the parsed record has one timestamp format that sorts as text
 * and hashes the same whichever endpoint or casing it came from. `z.input` keeps the wire type (`string`).
 * A blank string becomes null.
 */
export function timestamp() {
  return z
    .string()
    .transform(
      (value, ctx): string | null => toIsoUtc(value) ?? (isBlank(value) ? null : rejectTimestamp(ctx, value)),
    )
    .nullish();
}

/**
 * A required timestamp (e.g. a delta row's `eventTimestamp`, part of its unique key;
 * docs/mde-api.md#delta-feed).
 */
export function requiredTimestamp() {
  return z.string().transform((value, ctx): string => toIsoUtc(value) ?? rejectTimestamp(ctx, value));
}
