/**
 * The "malformed records" fault: a record whose identity field has the wrong type, as a lenient
 * client must reject and count rather than crash on (docs/architecture.md#conventions).
 */
export function corruptRecord(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record };
  // Keys in any case: API pages are camelCase, export files PascalCase.
  for (const key of Object.keys(out)) {
    if (IDENTITY_KEYS.has(key.toLowerCase())) out[key] = { malformed: true };
  }
  return out;
}

const IDENTITY_KEYS: ReadonlySet<string> = new Set(['id', 'deviceid', 'machineid']);

/** A line of an export file that is not JSON at all (a record cut in the middle). */
export const BROKEN_EXPORT_LINE = '{"DeviceId":"0000000000000000000000000000000000000000","Software';
