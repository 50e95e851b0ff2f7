import type { EpochAggregates } from './aggregates.js';
import type { DeviceSnapshot } from './device-snapshot.js';
import { MAX_VERSIONS } from './software-catalog.js';
import type { TenantContext } from './tenant-context.js';
import type { MissingKbRecord } from './types.js';

/**
 * GET /api/machines/{id}/getmissingkbs (docs/mde-api.md#machines): the Microsoft updates that would fix the
 * device's CVEs, i.e. the KB of each fixing version of each vulnerable Microsoft install.
 * machineMissedOn counts the devices still below that fixing version.
 */
export function missingKbsOf(
  ctx: TenantContext,
  snap: DeviceSnapshot,
  agg: EpochAggregates,
): MissingKbRecord[] {
  const byKb = new Map<string, MissingKbRecord & { hi: number; product: number }>();
  const scratch: number[] = [];
  for (const install of snap.installs) {
    if (!install.product.isMicrosoft) continue;
    for (const index of ctx.cves.cvesOf(install.key, snap.epoch, scratch)) {
      const cve = ctx.cves.cves[index]!;
      if (cve.kb === null) continue;
      let entry = byKb.get(cve.kb.id);
      if (entry === undefined) {
        let missed = 0;
        for (let v = 0; v < cve.hi; v++) missed += agg.installs[cve.product * MAX_VERSIONS + v] ?? 0;
        entry = {
          id: cve.kb.id,
          name: cve.kb.name,
          productsNames: [],
          url: cve.kb.url,
          machineMissedOn: missed,
          cveAddressed: 0,
          hi: cve.hi,
          product: cve.product,
        };
        byKb.set(cve.kb.id, entry);
      }
      if (!entry.productsNames.includes(install.product.name)) entry.productsNames.push(install.product.name);
      entry.cveAddressed++;
    }
  }
  return [...byKb.values()].map(({ id, name, productsNames, url, machineMissedOn, cveAddressed }) => ({
    id,
    name,
    productsNames,
    url,
    machineMissedOn,
    cveAddressed,
  }));
}
