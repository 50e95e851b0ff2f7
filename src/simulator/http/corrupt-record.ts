/**
 * The "malformed records" fault: a record whose identity field has the wrong type, as a lenient
 * client must reject and count rather than crash on (design.md 5).
 */
export function corruptRecord(record: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...record };
  for (const key of ['id', 'deviceId', 'machineId']) {
    if (key in out) out[key] = { malformed: true };
  }
  return out;
}
