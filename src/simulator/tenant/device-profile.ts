import { type OsSpec, osSpecAt } from './os-kinds.js';
import { below, between, hash2, unit } from './random.js';
import { groupIndexAt, RBAC_GROUPS, RBAC_MOVE_PERIOD, type RbacGroup } from './rbac-groups.js';
import type { TenantContext } from './tenant-context.js';
import { DAY_MS } from './time-format.js';
import { eventsUpTo, snapshotEpochAt } from './timeline.js';

/**
 * The static facts of one device, from (seed, index) alone: OS, onboarding state, merge and
 * duplicate flags, first seen, when it stops reporting, device value and home group. Only numbers
 * here (cheap enough to compute for 100,000 devices per aggregate pass); names and addresses are
 * made on demand in machine-generator.ts.
 */

export const ONBOARDING_STATES = ['Onboarded', 'CanBeOnboarded', 'Unsupported', 'InsufficientInfo'] as const;
export type OnboardingStatus = (typeof ONBOARDING_STATES)[number];

export const DEVICE_VALUES = ['Normal', 'Low', 'High'] as const;
export type DeviceValue = (typeof DEVICE_VALUES)[number];

export type TvmArchitecture = 'x64' | 'x86' | 'arm64';

const MERGED_SHARE = 0.015;
const DUPLICATE_SHARE = 0.02;
const EXCLUDED_SHARE = 0.01;
/** Devices whose last full report is long before the origin (stale, docs/mde-api.md#lastseen retention). */
const STALE_SHARE = 0.06;
/** Devices that stop reporting at some point after the origin, so staleness grows with the clock. */
const STOPPING_SHARE = 0.08;

export interface DeviceCore {
  index: number;
  isNew: boolean;
  os: OsSpec;
  osProduct: number;
  onboarding: OnboardingStatus;
  /** Index of the surviving record this one was merged into, or -1. */
  mergedInto: number;
  /** Index of another device with the same name (isPotentialDuplication), or -1. */
  duplicateOf: number;
  excluded: boolean;
  /** Onboarded, not merged, not excluded: the device has TVM rows. */
  hasTvm: boolean;
  firstSeenMs: number;
  /** When the device sends its last report (Infinity: never stops). */
  stopMs: number;
  /** Last epoch whose snapshot has fresh inventory (Infinity when the device keeps reporting). */
  frozenEpoch: number;
  reportPhaseMs: number;
  deviceValue: DeviceValue;
  homeGroup: number;
  groupStep: number;
  arch: TvmArchitecture;
}

function onboardingOf(u: number): OnboardingStatus {
  if (u < 0.95) return 'Onboarded';
  if (u < 0.98) return 'CanBeOnboarded';
  if (u < 0.99) return 'Unsupported';
  return 'InsufficientInfo';
}

function mergeCandidate(ctx: TenantContext, index: number): boolean {
  return (
    onboardingOf(unit(hash2(ctx.seeds.onboarding, index))) === 'Onboarded' &&
    unit(hash2(ctx.seeds.merged, index)) < MERGED_SHARE
  );
}

/** The survivor of a merged record: an onboarded initial device that is not itself merged. */
function mergeTarget(ctx: TenantContext, index: number): number {
  const n = ctx.initialDevices;
  if (n < 2) return -1;
  let j = below(hash2(ctx.seeds.mergeTarget, index), n);
  for (let probe = 0; probe < 10; probe++, j = (j + 1) % n) {
    if (
      j !== index &&
      !mergeCandidate(ctx, j) &&
      onboardingOf(unit(hash2(ctx.seeds.onboarding, j))) === 'Onboarded'
    )
      return j;
  }
  return -1;
}

export function deviceCore(ctx: TenantContext, index: number): DeviceCore {
  const s = ctx.seeds;
  const origin = ctx.originMs;
  const isNew = index >= ctx.initialDevices;
  const os = osSpecAt(unit(hash2(s.os, index)));
  let osProduct = os.osProducts[0]!;
  if (os.osProducts.length > 1) {
    const total = os.osProductWeights.reduce((a, b) => a + b, 0);
    let target = unit(hash2(s.linuxDistro, index)) * total;
    for (let k = 0; k < os.osProducts.length; k++) {
      target -= os.osProductWeights[k]!;
      if (target < 0) {
        osProduct = os.osProducts[k]!;
        break;
      }
    }
  }
  const onboarding = onboardingOf(unit(hash2(s.onboarding, index)));
  const onboarded = onboarding === 'Onboarded';
  const mergedInto =
    !isNew && onboarded && unit(hash2(s.merged, index)) < MERGED_SHARE ? mergeTarget(ctx, index) : -1;
  const duplicateOf =
    !isNew && mergedInto < 0 && ctx.initialDevices > 1 && unit(hash2(s.duplicate, index)) < DUPLICATE_SHARE
      ? (index + 1 + below(hash2(s.duplicate ^ 1, index), ctx.initialDevices - 1)) % ctx.initialDevices
      : -1;
  const excluded = onboarded && mergedInto < 0 && unit(hash2(s.excluded, index)) < EXCLUDED_SHARE;

  let firstSeenMs: number;
  let stopMs = Number.POSITIVE_INFINITY;
  const stale = unit(hash2(s.stale, index));
  const when = hash2(s.staleWhen, index);
  if (isNew) {
    firstSeenMs = ctx.onboarding.timeOf(index - ctx.initialDevices);
    if (stale < STOPPING_SHARE) stopMs = firstSeenMs + between(when, 1, 120 * 24) * 3_600_000;
  } else {
    firstSeenMs =
      origin - between(hash2(s.firstSeen, index), 1 * 24, 700 * 24) * 3_600_000 - (when % 3_600_000);
    if (mergedInto >= 0) {
      stopMs = origin - between(when, 2 * 24, 60 * 24) * 3_600_000;
    } else if (stale < STALE_SHARE) {
      stopMs = origin - between(when, 8 * 24, 170 * 24) * 3_600_000;
    } else if (stale < STALE_SHARE + STOPPING_SHARE) {
      stopMs = origin + between(when, 0, 120 * 24) * 3_600_000;
    }
    if (firstSeenMs > stopMs - DAY_MS)
      firstSeenMs = stopMs - between(hash2(s.firstSeen ^ 7, index), 30, 300) * DAY_MS;
  }
  const frozenEpoch = Number.isFinite(stopMs) ? snapshotEpochAt(origin, stopMs) : Number.POSITIVE_INFINITY;

  const valueU = unit(hash2(s.deviceValue, index));
  const deviceValue: DeviceValue = valueU < 0.85 ? 'Normal' : valueU < 0.93 ? 'High' : 'Low';
  const archU = unit(hash2(s.arch, index));
  let arch: TvmArchitecture = 'x64';
  if (os.kind === 'Windows10' && archU < 0.02) arch = 'x86';
  if ((os.kind === 'macOS' && archU < 0.6) || os.kind === 'iOS' || os.kind === 'Android') arch = 'arm64';

  const product = ctx.software.byName.get(osProduct);
  if (product === undefined) throw new Error(`unknown OS product ${osProduct}`);
  return {
    index,
    isNew,
    os,
    osProduct: product.index,
    onboarding,
    mergedInto,
    duplicateOf,
    excluded,
    hasTvm: onboarded && mergedInto < 0 && !excluded,
    firstSeenMs,
    stopMs,
    frozenEpoch,
    reportPhaseMs: hash2(s.reportPhase, index) % DAY_MS,
    deviceValue,
    homeGroup: groupIndexAt(unit(hash2(s.group, index))),
    groupStep: 1 + below(hash2(s.groupStep, index), RBAC_GROUPS.length - 1),
    arch,
  };
}

/** The device's last full report at or before `atMs` (about every 24 h, docs/mde-api.md#lastseen). */
export function lastReportMs(core: DeviceCore, atMs: number): number {
  const r = Math.min(atMs, core.stopMs);
  if (r <= core.firstSeenMs) return core.firstSeenMs;
  const since = (((r - core.reportPhaseMs) % DAY_MS) + DAY_MS) % DAY_MS;
  return Math.max(core.firstSeenMs, r - since);
}

/** The epoch whose inventory the device shows at `epoch`: a device that stopped reporting is frozen. */
export function effectiveEpoch(core: DeviceCore, epoch: number): number {
  return Math.min(epoch, core.frozenEpoch);
}

/**
 * The device group at an epoch. Group moves are admin actions, so they continue for devices that
 * stopped reporting (docs/mde-api.md#delta-feed: a move shows Fixed under the old group and New under the
 * new).
 */
export function groupAt(ctx: TenantContext, core: DeviceCore, epoch: number): RbacGroup {
  const moves = eventsUpTo(epoch, RBAC_MOVE_PERIOD, ctx.seeds.groupMove, core.index, 0);
  return RBAC_GROUPS[(core.homeGroup + moves * core.groupStep) % RBAC_GROUPS.length]!;
}
