import { CONFIG_RECOMMENDATIONS, type EpochAggregates } from './aggregates.js';
import { guid, hash2 } from './random.js';
import type { TenantContext } from './tenant-context.js';
import { snapshotTimeMs } from './timeline.js';
import type { RecommendationRecord } from './types.js';

/**
 * Security recommendations (docs/mde-api.md#recommendations): one `va-_-vendor-_-product` per product with an
 * exposed device (the id every row of that product references), plus configuration ones (`sca-_-scid-N`).
 */

const INTERNET_FACING = new Set([
  'edge_chromium-based',
  'chrome',
  'firefox',
  'firefox_esr',
  'safari',
  'brave_browser',
  'opera_browser',
]);

export function recommendationRecordsOf(ctx: TenantContext, agg: EpochAggregates): RecommendationRecord[] {
  const out: RecommendationRecord[] = [];
  const view = ctx.cves.view(agg.epoch);
  const maxScore = new Float64Array(ctx.software.products.length);
  const level = new Uint8Array(ctx.software.products.length);
  const unpatchable = new Uint8Array(ctx.software.products.length);
  for (let c = 0; c < agg.cveExposed.length; c++) {
    if (agg.cveExposed[c] === 0) continue;
    const cve = ctx.cves.cves[c]!;
    maxScore[cve.product] = Math.max(maxScore[cve.product]!, cve.scores[view.rescored[c]!] ?? 0);
    level[cve.product] = Math.max(level[cve.product]!, view.levels[c]!);
    if (!cve.fixed) unpatchable[cve.product] = 1;
  }
  for (const product of ctx.software.products) {
    const p = product.index;
    const exposed = agg.productExposed[p]!;
    if (exposed === 0) continue;
    const latest = product.versions[product.versions.length - 1]!;
    const endOfLife =
      product.eosSoftwareMs !== null && product.eosSoftwareMs <= snapshotTimeMs(ctx.originMs, agg.epoch);
    const recommendationName = product.isOs
      ? `Update ${product.display}`
      : endOfLife
        ? `Upgrade ${product.display} to a supported version`
        : `Update ${product.display} to version ${latest}`;
    const h = hash2(ctx.seed ^ 0x2ec, p);
    out.push({
      id: product.recommendationId,
      productName: product.name,
      recommendationName,
      weaknesses: agg.productWeaknesses[p]!,
      vendor: product.vendor,
      recommendedVersion: product.isOs || endOfLife ? '' : latest,
      recommendedProgram: '',
      recommendedVendor: '',
      recommendationCategory: product.isOs ? 'OS' : 'Application',
      subCategory: '',
      severityScore: maxScore[p]!,
      publicExploit: level[p]! > 0,
      activeAlert: false,
      associatedThreats: level[p]! >= 2 ? [guid(ctx.seed, p, 70)] : [],
      remediationType: endOfLife ? 'Upgrade' : 'Update',
      status: h % 100 < 3 ? 'Exception' : 'Active',
      configScoreImpact: 0,
      exposureImpact: Math.round((exposed / Math.max(1, agg.tvmDevices)) * maxScore[p]! * 1e6) / 1e6,
      totalMachineCount: agg.productInstalls[p]!,
      exposedMachinesCount: exposed,
      nonProductivityImpactedAssets: 0,
      relatedComponent: product.display,
      hasUnpatchableCve: unpatchable[p] === 1,
      tags: INTERNET_FACING.has(product.name) ? ['internetFacing'] : [],
      exposedCriticalDevices: agg.productExposedHigh[p]!,
    });
  }
  CONFIG_RECOMMENDATIONS.forEach((rec, r) => {
    const exposed = agg.configExposed[r]!;
    if (exposed === 0) return;
    out.push({
      id: rec.id,
      productName: '',
      recommendationName: rec.name,
      weaknesses: 0,
      vendor: 'microsoft',
      recommendedVersion: '',
      recommendedProgram: null,
      recommendedVendor: null,
      recommendationCategory: rec.category,
      subCategory: rec.sub,
      severityScore: 0,
      publicExploit: false,
      activeAlert: false,
      associatedThreats: [],
      remediationType: 'ConfigurationChange',
      status: 'Active',
      configScoreImpact:
        Math.round(((exposed / Math.max(1, agg.windowsTvmDevices)) * 8 + r * 0.37) * 100) / 100,
      exposureImpact: 0,
      totalMachineCount: agg.windowsTvmDevices,
      exposedMachinesCount: exposed,
      nonProductivityImpactedAssets: 0,
      relatedComponent: rec.sub,
      hasUnpatchableCve: false,
      tags: [],
      exposedCriticalDevices: agg.configExposedHigh[r]!,
    });
  });
  return out;
}
