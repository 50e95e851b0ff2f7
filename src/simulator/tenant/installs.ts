import { type DeviceCore, effectiveEpoch, lastReportMs } from './device-profile.js';
import { hash3, unit } from './random.js';
import { MAX_VERSIONS, type Product } from './software-catalog.js';
import type { TenantContext } from './tenant-context.js';
import { eventAt, eventsUpTo } from './timeline.js';

/**
 * What a device has installed at an epoch. The set of products is fixed per device (an independent
 * draw per product by its install share on the device's platform); each install starts some versions
 * behind the latest and upgrades one step at hashed epochs, and its path variant flips now and then.
 * Both are O(1) per install and epoch (timeline.ts), which keeps "did this device change" cheap.
 */

/** Epochs between two upgrade events of one install (about 1 device in 200 upgrades something per epoch). */
export const UPGRADE_PERIOD = 1400;
/** Epochs between two path changes of one install ("Updated" rows, docs/mde-api.md#delta-feed). */
export const PATH_PERIOD = 8000;

export interface Install {
  product: Product;
  version: number;
  /** product.index * MAX_VERSIONS + version: the key CVE lists are indexed by. */
  key: number;
  /** Which of the product's two path sets the device shows. */
  variant: number;
  installMs: number;
}

function initialVersion(ctx: TenantContext, core: DeviceCore, product: Product): number {
  const h = hash3(ctx.seeds.version, core.index, product.index);
  const thresholds = product.lagThresholds;
  let lag = 0;
  while (lag < thresholds.length - 1 && h >= thresholds[lag]!) lag++;
  return product.versions.length - 1 - lag;
}

function installAt(
  ctx: TenantContext,
  core: DeviceCore,
  product: Product,
  eff: number,
  refMs: number,
): Install {
  const s = ctx.seeds;
  const ups = eventsUpTo(eff, UPGRADE_PERIOD, s.upgrade, core.index, product.index);
  const version = Math.min(initialVersion(ctx, core, product) + ups, product.versions.length - 1);
  const variant = eventsUpTo(eff, PATH_PERIOD, s.pathEvent, core.index, product.index) & 1;
  const span = Math.max(0, refMs - core.firstSeenMs);
  const installMs =
    product.isOs || core.isNew
      ? core.firstSeenMs
      : core.firstSeenMs + Math.floor(unit(hash3(s.installTime, core.index, product.index)) * 0.9 * span);
  return { product, version, key: product.index * MAX_VERSIONS + version, variant, installMs };
}

/** Installs of a device at the effective epoch `eff` (see effectiveEpoch); the OS comes first. */
export function installsOf(ctx: TenantContext, core: DeviceCore, eff: number): Install[] {
  const { products, platformProducts } = ctx.software;
  // Software installed before the origin predates the device's last report at the origin.
  const refMs = lastReportMs(core, Math.min(ctx.originMs, core.stopMs));
  const out: Install[] = [installAt(ctx, core, products[core.osProduct]!, eff, refMs)];
  const list = platformProducts[core.os.platform]!;
  const seed = ctx.seeds.install;
  for (let k = 0; k < list.products.length; k++) {
    const p = list.products[k]!;
    if (hash3(seed, core.index, p) < list.thresholds[k]!)
      out.push(installAt(ctx, core, products[p]!, eff, refMs));
  }
  return out;
}

/** Only the OS install (machine osVersion), without drawing every product. */
export function osInstallOf(ctx: TenantContext, core: DeviceCore, epoch: number): Install {
  const refMs = lastReportMs(core, Math.min(ctx.originMs, core.stopMs));
  return installAt(ctx, core, ctx.software.products[core.osProduct]!, effectiveEpoch(core, epoch), refMs);
}

/**
 * True when something on the device itself happens at `epoch`: an upgrade or a path change of one of
 * its installs, or a CVE published or revised for an installed version. A frozen device (stopped
 * reporting) has no upgrades, but still sees catalog changes, like MDE re-assessing stale inventory.
 */
export function installsChangeAt(
  ctx: TenantContext,
  core: DeviceCore,
  installs: readonly Install[],
  epoch: number,
): boolean {
  if (epoch < 1) return false;
  const s = ctx.seeds;
  const reporting = epoch <= core.frozenEpoch;
  const dirty = ctx.cves.dirtyKeys(epoch);
  for (const install of installs) {
    const p = install.product.index;
    if (reporting && eventAt(epoch, UPGRADE_PERIOD, s.upgrade, core.index, p)) return true;
    if (reporting && eventAt(epoch, PATH_PERIOD, s.pathEvent, core.index, p)) return true;
    if (dirty.has(install.key)) return true;
  }
  return false;
}
