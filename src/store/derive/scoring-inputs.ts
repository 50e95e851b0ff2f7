import type { CveFactors, ScoringContext } from '../../normalize/scoring/compile-scorer.js';
import { exploitLevelOfFlags } from '../../normalize/scoring/scoring-formula.js';
import { forEngine, type Store } from '../db/store.js';

/**
 * What the scorer needs besides the finding, for one connector: CVE id → factors from
 * vulnerability_definitions, machine id → deviceValue from host_sources. Both are keyed maps (tens of
 * thousands of CVEs, one entry per device), never the findings themselves (docs/benchmarks.md#targets).
 */
export async function loadScoringContext(store: Store, connectorId: number): Promise<ScoringContext> {
  const [cves, deviceValues] = await Promise.all([
    loadCveFactors(store, connectorId),
    loadDeviceValues(store, connectorId),
  ]);
  return { cves, deviceValues };
}

export async function loadCveFactors(store: Store, connectorId: number): Promise<Map<string, CveFactors>> {
  const rows = await store.db
    .selectFrom('vulnerabilityDefinitions')
    .select(['id', 'cvssV3', 'severity', 'epss', 'publicExploit', 'exploitVerified', 'exploitInKit'])
    .where('connectorId', '=', connectorId)
    .execute();
  const map = new Map<string, CveFactors>();
  for (const r of rows) {
    map.set(r.id, {
      cvssV3: r.cvssV3 === null ? null : Number(r.cvssV3),
      severity: r.severity,
      epss: r.epss === null ? null : Number(r.epss),
      exploitLevel: exploitLevelOfFlags(r.publicExploit, r.exploitVerified, r.exploitInKit),
    });
  }
  return map;
}

export async function loadDeviceValues(
  store: Store,
  connectorId: number,
): Promise<Map<string, string | null>> {
  return forEngine(store.engine, {
    // A run loads these three times (sync-scoring.ts) at one row per device: raw tuples from a
    // prepared statement rather than Kysely's per-row objects and name mapping (docs/benchmarks.md#targets).
    sqlite: async (sqlite) => {
      const tuples = sqlite
        .prepare('SELECT machine_id, device_value FROM host_sources WHERE connector_id = ?')
        .raw()
        .all(connectorId) as Array<[string, string | null]>;
      return new Map(tuples);
    },
    postgres: async () => {
      const rows = await store.db
        .selectFrom('hostSources')
        .select(['machineId', 'deviceValue'])
        .where('connectorId', '=', connectorId)
        .execute();
      return new Map(rows.map((r) => [r.machineId, r.deviceValue]));
    },
  });
}

/**
 * Keys whose value differs between two maps (added, removed or changed). Text and numbers compare
 * as they are; objects (a CVE's factors) by their JSON. A delta compares 100,000 device values
 * four times, so the common case does not serialise.
 */
export function changedKeys<V>(before: ReadonlyMap<string, V>, after: ReadonlyMap<string, V>): Set<string> {
  const same = (a: V, b: V) =>
    a === b ||
    (typeof a === 'object' &&
      a !== null &&
      typeof b === 'object' &&
      b !== null &&
      JSON.stringify(a) === JSON.stringify(b));
  const out = new Set<string>();
  for (const [k, v] of after) if (!before.has(k) || !same(before.get(k) as V, v)) out.add(k);
  for (const k of before.keys()) if (!after.has(k)) out.add(k);
  return out;
}
