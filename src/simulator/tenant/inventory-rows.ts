import type { DeviceSnapshot } from './device-snapshot.js';
import { hash3 } from './random.js';
import { endOfSupport } from './software-catalog.js';
import { NON_CPE_SOFTWARE } from './software-products.js';
import type { TenantContext } from './tenant-context.js';
import { isoDateOffset, tvmTime, tvmTimeMillis } from './time-format.js';
import { snapshotTimeMs } from './timeline.js';
import type { InventoryRow, NonCpeInventoryRow } from './types.js';

/**
 * SoftwareInventoryByMachine rows (docs/mde-api.md#installed-software): one per install, with end-of-support
 * data.
 */
export function inventoryRowsOf(ctx: TenantContext, snap: DeviceSnapshot): InventoryRow[] {
  const atMs = snapshotTimeMs(ctx.originMs, snap.epoch);
  return snap.installs.map((install) => {
    const product = install.product;
    const paths = product.paths[snap.family][install.variant]!;
    const eos = endOfSupport(product, install.version, atMs);
    return {
      deviceId: snap.deviceId,
      deviceName: snap.deviceName,
      osPlatform: snap.osPlatform,
      osVersion: snap.osVersion,
      osArchitecture: snap.osArchitecture,
      rbacGroupName: snap.group.name,
      rbacGroupId: snap.group.id,
      softwareVendor: product.vendor,
      softwareName: product.name,
      softwareVersion: product.versions[install.version]!,
      numberOfWeaknesses: ctx.cves.countOf(install.key, snap.epoch),
      diskPaths: [...paths.diskPaths],
      registryPaths: [...paths.registryPaths],
      softwareFirstSeenTimestamp: tvmTime(install.installMs),
      endOfSupportStatus: eos.status,
      endOfSupportDate: eos.dateMs === null ? null : isoDateOffset(eos.dateMs),
    };
  });
}

const PLATFORM_LETTER = ['W', 'S', 'M', 'L', 'I', 'A'] as const;

/** Indices into NON_CPE_SOFTWARE that a device has: none on most, up to three on Windows clients. */
export function nonCpeItemsOf(ctx: TenantContext, index: number, platform: number): number[] {
  const letter = PLATFORM_LETTER[platform]!;
  const h = hash3(ctx.seeds.nonCpe, index, 0);
  const count = platform === 0 ? h % 4 : h % 3 === 0 ? 1 : 0;
  const items: number[] = [];
  for (let k = 0; items.length < count && k < 12; k++) {
    const at = hash3(ctx.seeds.nonCpe, index, k + 1) % NON_CPE_SOFTWARE.length;
    const entry = NON_CPE_SOFTWARE[at]!;
    if (entry[3].includes(letter) && !items.includes(at)) items.push(at);
  }
  return items;
}

/**
 * SoftwareInventoryNoProductCodeByMachine rows (docs/mde-api.md#installed-software): software MDE has no CPE
 * for.
 */
export function nonCpeRowsOf(ctx: TenantContext, snap: DeviceSnapshot): NonCpeInventoryRow[] {
  return nonCpeItemsOf(ctx, snap.core.index, snap.core.os.platform).map((at, k) => {
    const [vendor, name, version] = NON_CPE_SOFTWARE[at]!;
    const seenMs = snap.lastSeenMs - (hash3(ctx.seeds.nonCpe, snap.core.index, 50 + k) % 3_600_000);
    return {
      deviceId: snap.deviceId,
      deviceName: snap.deviceName,
      osPlatform: snap.osPlatform,
      rbacGroupName: snap.group.name,
      rbacGroupId: snap.group.id,
      softwareVendor: vendor,
      softwareName: name,
      softwareVersion: version,
      softwareLastSeenTimestamp: tvmTimeMillis(Math.max(seenMs, snap.core.firstSeenMs)),
    };
  });
}
