import { type Kysely, sql } from 'kysely';
import { nvdUrl } from '../../normalize/cve-depth.js';
import {
  EXPLOIT_MATURITIES,
  EXPLOITABILITY_LEVEL_RANK,
  exploitMaturity,
} from '../../normalize/exploit-maturity.js';
import { bulkUpdate } from '../db/bulk-update.js';
import { withDiskSorts } from '../db/disk-sorts.js';
import type { Store } from '../db/store.js';
import { selectFindings } from '../findings/finding-repository.js';

/** One piece of software a CVE affects, as the synced findings and recommendations show it. */
export interface AffectedSoftware {
  vendor: string;
  name: string;
  /** Findings of this CVE in this software, and how many are open. */
  findings: number;
  openFindings: number;
  /**
   * The security recommendation that fixes it (docs/mde-api.md#recommendations: `recommendationReference` =
   * id).
   */
  recommendationId: string | null;
  recommendation: string | null;
  remediationType: string | null;
  /**
   * Some finding says a security update is available (docs/mde-api.md#vulnerability-rows
   * `securityUpdateAvailable`).
   */
  securityUpdateAvailable: boolean;
}

interface RecommendationInfo {
  name: string | null;
  remediationType: string | null;
  hasUnpatchableCve: boolean;
}

/**
 * Whether a patch exists for a CVE (`patchAvailable`, which also reads the recommendation's
 * `isHasUnpatchableCve`): yes when any finding has a security update or a recommended update, or any linked
 * recommendation is an `Update`/`Upgrade` without an unpatchable CVE; no when findings or
 * recommendations exist and none says so; unknown (null) when nothing links to the CVE.
 */
export function patchAvailability(
  software: readonly AffectedSoftware[],
  recommendations: ReadonlyMap<string, RecommendationInfo>,
): boolean | null {
  if (software.length === 0) return null;
  for (const s of software) {
    if (s.securityUpdateAvailable) return true;
    const r = s.recommendationId ? recommendations.get(s.recommendationId) : undefined;
    if (r && !r.hasUnpatchableCve && /^(update|upgrade)$/i.test(r.remediationType ?? '')) return true;
  }
  return false;
}

/**
 * Fills the definition columns that come from other streams: affected software and
 * recommendations from the connector's findings (one GROUP BY over findings by CVE and software, no
 * per-CVE API call: the export rows already name every device x software x CVE) and from the
 * recommendations catalog, patch availability, and security-update pages added to the references.
 * Keeps a map keyed by CVE in memory, writes in batches, deletes nothing.
 */
export async function enrichDefinitions(store: Store, connectorId: number, at: string): Promise<number> {
  const db = store.db.withoutPlugins() as Kysely<unknown>;
  const definitions = (
    await sql`SELECT id, exploit_uris, public_exploit, exploit_verified, exploit_in_kit FROM vulnerability_definitions WHERE connector_id = ${connectorId}`.execute(
      db,
    )
  ).rows as Array<Record<string, unknown>>;
  // A connector that does not collect definitions has nothing to enrich: skip the scan of findings.
  if (definitions.length === 0) return 0;
  const recommendations = new Map<string, RecommendationInfo>();
  for (const r of (
    await sql`SELECT id, recommendation_name, remediation_type, has_unpatchable_cve FROM recommendations
      WHERE connector_id = ${connectorId}`.execute(db)
  ).rows as Array<Record<string, unknown>>) {
    recommendations.set(String(r.id), {
      name: r.recommendation_name === null ? null : String(r.recommendation_name),
      remediationType: r.remediation_type === null ? null : String(r.remediation_type),
      hasUnpatchableCve: Number(r.has_unpatchable_cve) === 1,
    });
  }

  const byCve = new Map<
    string,
    { software: AffectedSoftware[]; updateUrls: Set<string>; maturity: number }
  >();
  // A scan of the connector's findings in key order and one sort, never a walk of the CVE index with
  // a random read per finding (docs/benchmarks.md).
  const groups = {
    rows: await withDiskSorts(store, () =>
      selectFindings(store)
        .select([
          'cveId',
          'softwareVendor',
          'softwareName',
          'recommendationReference',
          sql<number>`COUNT(*)`.as('n'),
          sql<number>`SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END)`.as('openN'),
          sql<number>`MAX(CASE WHEN security_update_available = 1 OR recommended_security_update_id IS NOT NULL THEN 1 ELSE 0 END)`.as(
            'patch',
          ),
          sql<string | null>`MAX(recommended_security_update_url)`.as('updateUrl'),
          sql<number | null>`MAX(${FINDING_MATURITY_RANK})`.as('maturity'),
        ])
        .where('connectorId', '=', connectorId)
        .groupBy(['cveId', 'softwareVendor', 'softwareName', 'recommendationReference'])
        .execute(),
    ),
  };
  for (const g of groups.rows) {
    const cve = String(g.cveId);
    let entry = byCve.get(cve);
    if (!entry) {
      entry = { software: [], updateUrls: new Set(), maturity: -1 };
      byCve.set(cve, entry);
    }
    const recommendationId = g.recommendationReference === null ? null : String(g.recommendationReference);
    const rec = recommendationId ? recommendations.get(recommendationId) : undefined;
    entry.software.push({
      vendor: String(g.softwareVendor),
      name: String(g.softwareName),
      findings: Number(g.n),
      openFindings: Number(g.openN),
      recommendationId,
      recommendation: rec?.name ?? null,
      remediationType: rec?.remediationType ?? null,
      securityUpdateAvailable: Number(g.patch) === 1,
    });
    if (g.updateUrl) entry.updateUrls.add(String(g.updateUrl));
    if (g.maturity !== null) entry.maturity = Math.max(entry.maturity, Number(g.maturity));
  }

  const updates: unknown[][] = [];
  for (const d of definitions) {
    const id = String(d.id);
    const entry = byCve.get(id);
    const software = (entry?.software ?? []).sort(
      (a, b) => a.vendor.localeCompare(b.vendor) || a.name.localeCompare(b.name),
    );
    const patch = patchAvailability(software, recommendations);
    // The catalog's flags decide the maturity; a record without flags (older DTOs) takes the
    // strongest exploitabilityLevel its findings report (docs/mde-api.md#vulnerability-rows), on the same
    // scale.
    const flags = exploitMaturity({
      publicExploit: flag(d.public_exploit),
      exploitVerified: flag(d.exploit_verified),
      exploitInKit: flag(d.exploit_in_kit),
    });
    const rank = flags?.rank ?? (entry && entry.maturity >= 0 ? entry.maturity : null);
    const references = new Set<string>(parseList(d.exploit_uris));
    const nvd = nvdUrl(id);
    if (nvd) references.add(nvd);
    for (const u of [...(entry?.updateUrls ?? [])].sort()) references.add(u);
    const recommendationIds = [
      ...new Set(software.map((s) => s.recommendationId).filter((r) => r !== null)),
    ].sort();
    updates.push([
      connectorId,
      id,
      JSON.stringify(software),
      software.length,
      JSON.stringify(recommendationIds),
      patch === null ? null : patch ? 1 : 0,
      JSON.stringify([...references]),
      rank === null ? null : EXPLOIT_MATURITIES[rank],
      rank,
      at,
    ]);
  }
  await bulkUpdate(
    store,
    {
      table: 'vulnerability_definitions',
      keys: [
        { name: 'connector_id', type: 'integer' },
        { name: 'id', type: 'text' },
      ],
      columns: [
        { name: 'affected_software', type: 'text' },
        { name: 'affected_software_count', type: 'integer' },
        { name: 'recommendation_ids', type: 'text' },
        { name: 'patch_available', type: 'integer' },
        { name: 'reference_urls', type: 'text' },
        { name: 'exploit_maturity', type: 'text' },
        { name: 'exploit_maturity_rank', type: 'integer' },
        { name: 'derived_at', type: 'text' },
      ],
    },
    updates,
  );
  return updates.length;
}

const flag = (v: unknown) => (v === null || v === undefined ? null : Number(v) === 1);

/** A finding's exploitabilityLevel on the maturity scale (exploit-maturity.ts), as SQL. */
const FINDING_MATURITY_RANK = sql.raw(
  `CASE lower(exploitability_level) ${Object.entries(EXPLOITABILITY_LEVEL_RANK)
    .map(([level, rank]) => `WHEN '${level}' THEN ${rank}`)
    .join(' ')} ELSE NULL END`,
);

function parseList(v: unknown): string[] {
  try {
    const list = JSON.parse(String(v ?? '[]')) as unknown;
    return Array.isArray(list) ? list.map(String) : [];
  } catch {
    return [];
  }
}
