import type { StoredFindingKey } from './finding-repository.js';

/**
 * A finding's id for people and URLs: its stored key (docs/data-model.md#finding), connector, device
 * id, software id and CVE, joined by dots (`3.120.45.CVE-2024-1234`). The key is the table's primary
 * key, so the id reaches one row through it; it is stable while the finding is stored.
 */
export function findingId(key: StoredFindingKey): string {
  return `${key.connectorId}.${key.deviceId}.${key.softwareId}.${key.cveId}`;
}

/** The stored key an id names, or undefined when the text is not a finding id. */
export function parseFindingId(text: string): StoredFindingKey | undefined {
  const m = /^(\d{1,15})\.(\d{1,15})\.(\d{1,15})\.(\S{1,100})$/.exec(text);
  if (!m) return undefined;
  return { connectorId: Number(m[1]), deviceId: Number(m[2]), softwareId: Number(m[3]), cveId: m[4]! };
}
