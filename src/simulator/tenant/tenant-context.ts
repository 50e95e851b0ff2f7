import { CveCatalog } from './cve-catalog.js';
import { MachineIds } from './machine-id.js';
import { hash2, Salt } from './random.js';
import { SNAPSHOT_MS, type TenantOptions } from './simulated-tenant.js';
import { buildSoftwareCatalog, type SoftwareCatalog } from './software-catalog.js';
import { EvenSchedule, snapshotTimeMs } from './timeline.js';

/**
 * What every part of the tenant shares: the options, one derived seed per purpose, the catalogs and
 * the onboarding schedule. Built once by the factory and passed in (docs/architecture.md#conventions: no
 * module singletons).
 */
export type Seeds = { readonly [K in keyof typeof Salt]: number };

export interface TenantContext {
  readonly options: TenantOptions;
  readonly seed: number;
  readonly originMs: number;
  readonly initialDevices: number;
  readonly seeds: Seeds;
  readonly software: SoftwareCatalog;
  readonly cves: CveCatalog;
  readonly ids: MachineIds;
  /** Devices onboarded after the origin: about one per thousand devices per epoch (at least one). */
  readonly onboarding: EvenSchedule;
}

export function createTenantContext(options: TenantOptions): TenantContext {
  if (!Number.isInteger(options.devices) || options.devices < 0)
    throw new RangeError('devices must be a non-negative integer');
  if (!Number.isFinite(options.seed)) throw new RangeError('seed must be a number');
  if (!Number.isFinite(options.originMs)) throw new RangeError('originMs must be a number');
  const seed = hash2(Math.floor(options.seed) | 0, Math.floor(options.seed / 4294967296) | 0);
  const originMs = Math.floor(options.originMs);
  const seeds = Object.fromEntries(
    Object.entries(Salt).map(([key, salt]) => [key, hash2(seed, salt)]),
  ) as Seeds;
  const software = buildSoftwareCatalog(seed, originMs);
  return {
    options,
    seed,
    originMs,
    initialDevices: options.devices,
    seeds,
    software,
    cves: new CveCatalog(software, seed, originMs),
    ids: new MachineIds(seed),
    onboarding: new EvenSchedule(originMs, SNAPSHOT_MS, Math.max(1, Math.round(options.devices / 1000))),
  };
}

/** Machine records that exist at `atMs`: the initial devices plus those onboarded since. */
export function machineCountAt(ctx: TenantContext, atMs: number): number {
  return ctx.initialDevices + ctx.onboarding.countAt(atMs);
}

/** Devices in the snapshot of `epoch` (those onboarded by its generation time). */
export function snapshotDeviceCount(ctx: TenantContext, epoch: number): number {
  return machineCountAt(ctx, snapshotTimeMs(ctx.originMs, epoch));
}
