/**
 * Export *files* use PascalCase keys, like the property tables and the advanced-hunting tables
 * (docs/mde-api.md#vulnerability-rows), while the JSON endpoints use camelCase.
 */
const SPECIAL: Record<string, string> = {
  osPlatform: 'OSPlatform',
  osVersion: 'OSVersion',
  osArchitecture: 'OSArchitecture',
};

const cache = new Map<string, string>();

export function pascalKey(key: string): string {
  let out = cache.get(key);
  if (out === undefined) {
    out = SPECIAL[key] ?? key.charAt(0).toUpperCase() + key.slice(1);
    cache.set(key, out);
  }
  return out;
}

/** Serialises one record as a JSON line with PascalCase keys. */
export function pascalJsonLine(record: object): string {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) out[pascalKey(k)] = v;
  return JSON.stringify(out);
}
