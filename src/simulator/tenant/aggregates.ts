import { deviceCore, effectiveEpoch } from './device-profile.js';
import { installsOf } from './installs.js';
import { nonCpeItemsOf } from './inventory-rows.js';
import { hash3, unit } from './random.js';
import { MAX_VERSIONS } from './software-catalog.js';
import { snapshotDeviceCount, type TenantContext } from './tenant-context.js';

/**
 * Org-wide counts of one snapshot, computed in one streaming pass over the devices without building
 * a single row: installs per (product, version), from which CVE exposure, software and recommendation
 * counts and the row totals follow (`exposedMachines`, distributions, counts: docs/mde-api.md#cve-catalog,
 * #software, #recommendations).
 * Kept for the latest two epochs only.
 */

/**
 * Configuration recommendations (docs/mde-api.md#recommendations: ids like `sca-_-scid-2500`) and the share
 * of Windows devices exposed.
 */
export const CONFIG_RECOMMENDATIONS = [
  {
    id: 'sca-_-scid-2500',
    name: 'Block Office applications from creating child processes',
    category: 'SecurityControls',
    sub: 'Attack surface reduction',
    share: 0.45,
  },
  {
    id: 'sca-_-scid-2010',
    name: 'Turn on Microsoft Defender Antivirus PUA protection in block mode',
    category: 'SecurityControls',
    sub: 'Antivirus',
    share: 0.3,
  },
  { id: 'sca-_-scid-91', name: 'Disable SMBv1 client driver', category: 'Network', sub: 'SMB', share: 0.2 },
  {
    id: 'sca-_-scid-1',
    name: 'Set minimum password length to 14 or more characters',
    category: 'Accounts',
    sub: 'Password policy',
    share: 0.6,
  },
  {
    id: 'sca-_-scid-2',
    name: "Enable 'Local Security Authority (LSA) protection'",
    category: 'OS',
    sub: 'Credential protection',
    share: 0.5,
  },
  {
    id: 'sca-_-scid-6',
    name: 'Turn on BitLocker encryption for operating system drives',
    category: 'OS',
    sub: 'BitLocker',
    share: 0.15,
  },
  {
    id: 'sca-_-scid-44',
    name: 'Disable anonymous enumeration of shares',
    category: 'Accounts',
    sub: 'Security options',
    share: 0.1,
  },
  {
    id: 'sca-_-scid-4001',
    name: "Disable 'Allow Basic authentication' for WinRM Client",
    category: 'Network',
    sub: 'WinRM',
    share: 0.25,
  },
] as const;

export interface EpochAggregates {
  epoch: number;
  /** Devices per (product, version) key, and those with deviceValue High. */
  installs: Int32Array;
  installsHigh: Int32Array;
  tvmDevices: number;
  windowsTvmDevices: number;
  nonCpeRows: number;
  configExposed: Int32Array;
  configExposedHigh: Int32Array;
  /** Per CVE (index < cve view count). */
  cveExposed: Int32Array;
  cveExposedHigh: Int32Array;
  /** Per product. */
  productInstalls: Int32Array;
  productExposed: Int32Array;
  productExposedHigh: Int32Array;
  productWeaknesses: Int32Array;
  vulnerabilityRows: number;
  vulnerabilityRowsWithCve: number;
  inventoryRows: number;
  distinctCves: number;
}

export class AggregateCache {
  private readonly cache = new Map<number, EpochAggregates>();

  constructor(private readonly ctx: TenantContext) {}

  at(epoch: number): EpochAggregates {
    let agg = this.cache.get(epoch);
    if (agg === undefined) {
      agg = computeAggregates(this.ctx, epoch);
      if (this.cache.size >= 2) this.cache.delete(this.cache.keys().next().value as number);
      this.cache.set(epoch, agg);
    }
    return agg;
  }
}

export function computeAggregates(ctx: TenantContext, epoch: number): EpochAggregates {
  const { products } = ctx.software;
  const cves = ctx.cves;
  cves.ensureEpoch(epoch);
  const keys = products.length * MAX_VERSIONS;
  const installs = new Int32Array(keys);
  const installsHigh = new Int32Array(keys);
  const configExposed = new Int32Array(CONFIG_RECOMMENDATIONS.length);
  const configExposedHigh = new Int32Array(CONFIG_RECOMMENDATIONS.length);
  let tvmDevices = 0;
  let windowsTvmDevices = 0;
  let nonCpeRows = 0;
  const count = snapshotDeviceCount(ctx, epoch);
  for (let index = 0; index < count; index++) {
    const core = deviceCore(ctx, index);
    if (!core.hasTvm) continue;
    tvmDevices++;
    const high = core.deviceValue === 'High';
    for (const install of installsOf(ctx, core, effectiveEpoch(core, epoch))) {
      installs[install.key]!++;
      if (high) installsHigh[install.key]!++;
    }
    nonCpeRows += nonCpeItemsOf(ctx, index, core.os.platform).length;
    if (core.os.family === 'windows') {
      windowsTvmDevices++;
      for (let r = 0; r < CONFIG_RECOMMENDATIONS.length; r++) {
        if (unit(hash3(ctx.seed ^ 0x5ca, index, r)) < CONFIG_RECOMMENDATIONS[r]!.share) {
          configExposed[r]!++;
          if (high) configExposedHigh[r]!++;
        }
      }
    }
  }

  const productInstalls = new Int32Array(products.length);
  const productExposed = new Int32Array(products.length);
  const productExposedHigh = new Int32Array(products.length);
  let vulnerabilityRows = 0;
  let vulnerabilityRowsWithCve = 0;
  let inventoryRows = 0;
  for (let key = 0; key < keys; key++) {
    const n = installs[key]!;
    if (n === 0) continue;
    const p = Math.floor(key / MAX_VERSIONS);
    const cveCount = cves.countOf(key, epoch);
    productInstalls[p]! += n;
    inventoryRows += n;
    vulnerabilityRows += n * Math.max(1, cveCount);
    vulnerabilityRowsWithCve += n * cveCount;
    if (cveCount > 0) {
      productExposed[p]! += n;
      productExposedHigh[p]! += installsHigh[key]!;
    }
  }

  const view = cves.view(epoch);
  const cveExposed = new Int32Array(view.count);
  const cveExposedHigh = new Int32Array(view.count);
  const productWeaknesses = new Int32Array(products.length);
  let distinctCves = 0;
  for (let c = 0; c < view.count; c++) {
    const cve = cves.cves[c]!;
    let exposed = 0;
    let exposedHigh = 0;
    for (let v = cve.lo; v < cve.hi; v++) {
      exposed += installs[cve.product * MAX_VERSIONS + v]!;
      exposedHigh += installsHigh[cve.product * MAX_VERSIONS + v]!;
    }
    cveExposed[c] = exposed;
    cveExposedHigh[c] = exposedHigh;
    if (exposed > 0) {
      distinctCves++;
      productWeaknesses[cve.product]!++;
    }
  }
  return {
    epoch,
    installs,
    installsHigh,
    tvmDevices,
    windowsTvmDevices,
    nonCpeRows,
    configExposed,
    configExposedHigh,
    cveExposed,
    cveExposedHigh,
    productInstalls,
    productExposed,
    productExposedHigh,
    productWeaknesses,
    vulnerabilityRows,
    vulnerabilityRowsWithCve,
    inventoryRows,
    distinctCves,
  };
}
