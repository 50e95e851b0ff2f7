import type { EpochAggregates } from './aggregates.js';
import { MAX_VERSIONS, type Product } from './software-catalog.js';
import type { TenantContext } from './tenant-context.js';
import type { SoftwareDistributionRecord, SoftwareRecord } from './types.js';

/**
 * Software entities (docs/mde-api.md#installed-software: `vendor-_-name`) of everything installed at the
 * epoch.
 */

interface ProductExposure {
  publicExploit: boolean;
  /** Sum over exposed CVEs of exposed devices x score. */
  weightedScore: number;
}

function exposureOf(ctx: TenantContext, agg: EpochAggregates): ProductExposure[] {
  const out = ctx.software.products.map(() => ({ publicExploit: false, weightedScore: 0 }));
  const view = ctx.cves.view(agg.epoch);
  for (let c = 0; c < agg.cveExposed.length; c++) {
    const exposed = agg.cveExposed[c]!;
    if (exposed === 0) continue;
    const cve = ctx.cves.cves[c]!;
    const entry = out[cve.product]!;
    if (view.levels[c]! > 0) entry.publicExploit = true;
    entry.weightedScore += exposed * (cve.scores[view.rescored[c]!] ?? 5);
  }
  return out;
}

export function softwareRecordsOf(ctx: TenantContext, agg: EpochAggregates): SoftwareRecord[] {
  const exposure = exposureOf(ctx, agg);
  const out: SoftwareRecord[] = [];
  for (const product of ctx.software.products) {
    if (agg.productInstalls[product.index] === 0) continue;
    const e = exposure[product.index]!;
    out.push({
      id: product.id,
      name: product.name,
      vendor: product.vendor,
      weaknesses: agg.productWeaknesses[product.index]!,
      publicExploit: e.publicExploit,
      activeAlert: false,
      exposedMachines: agg.productExposed[product.index]!,
      impactScore: Math.round((e.weightedScore / Math.max(1, agg.tvmDevices) / 10) * 1e8) / 1e8,
    });
  }
  return out;
}

export function productByAnyId(ctx: TenantContext, softwareId: string): Product | undefined {
  return ctx.software.byId.get(softwareId) ?? ctx.software.byId.get(softwareId.toLowerCase());
}

/**
 * GET /api/Software/{id}/distributions (docs/mde-api.md#installed-software): installs and CVE count per
 * installed version.
 */
export function distributionsOf(
  ctx: TenantContext,
  agg: EpochAggregates,
  product: Product,
): SoftwareDistributionRecord[] | undefined {
  if (agg.productInstalls[product.index] === 0) return undefined;
  const out: SoftwareDistributionRecord[] = [];
  for (let v = 0; v < product.versions.length; v++) {
    const key = product.index * MAX_VERSIONS + v;
    const installations = agg.installs[key]!;
    if (installations > 0)
      out.push({
        version: product.versions[v]!,
        installations,
        vulnerabilities: ctx.cves.countOf(key, agg.epoch),
      });
  }
  return out;
}
