/**
 * Turns zod issues into the short, human reason stored with a counted rejection
 * (docs/architecture.md#conventions): the field path first, then what was wrong, e.g. `deviceId: required
 * field is missing`.
 */
import type * as z from 'zod';

const PREVIEW_CHARS = 40;

/** `evidence[1].processId` from `['evidence', 1, 'processId']`; `record` for the root. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? String(segment) : `.${String(segment)}`;
  }
  return out === '' ? 'record' : out;
}

/** The value found at `path` in `root`, or undefined when the path leads nowhere. */
function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

/** A short description of an offending value, never the whole of a long string or object. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    return JSON.stringify(value.length > PREVIEW_CHARS ? `${value.slice(0, PREVIEW_CHARS)}…` : value);
  }
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

function describeIssue(issue: z.core.$ZodIssue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined
        ? 'required field is missing'
        : `expected ${issue.expected}, got ${describeValue(value)}`;
    case 'too_small':
      return issue.origin === 'string' && Number(issue.minimum) === 1
        ? 'must not be empty'
        : `${issue.message}, got ${describeValue(value)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map(String).join('|')}, got ${describeValue(value)}`;
    case 'invalid_union':
      return `${issue.message}, got ${describeValue(value)}`;
    default:
      // Custom issues (timestamps, numeric strings) already quote the value.
      return issue.message;
  }
}

/**
 * One line naming the first failing field, plus a count of the others.
 *
 * @param issues the issues of a failed `safeParse`.
 * @param input the value that was parsed (after key normalisation), to describe offending values.
 */
export function issueReason(issues: readonly z.core.$ZodIssue[], input: unknown): string {
  const first = issues[0];
  if (first === undefined) return 'record: rejected without a reason';
  const reason = `${formatPath(first.path)}: ${describeIssue(first, valueAt(input, first.path))}`;
  const more = issues.length - 1;
  return more === 0 ? reason : `${reason} (and ${more} more issue${more === 1 ? '' : 's'})`;
}
