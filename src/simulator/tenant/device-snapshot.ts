import { type DeviceCore, deviceCore, effectiveEpoch, groupAt, lastReportMs } from './device-profile.js';
import { type Install, installsOf } from './installs.js';
import { deviceName } from './names.js';
import type { PathFamily } from './os-kinds.js';
import type { RbacGroup } from './rbac-groups.js';
import { snapshotDeviceCount, type TenantContext } from './tenant-context.js';
import { tvmTime } from './time-format.js';
import { snapshotTimeMs } from './timeline.js';

/**
 * Everything the TVM rows of one device at one snapshot share: identity, group, OS, last scan time
 * and installs. Computed per call and dropped after, so iterating a whole tenant stays O(1) in memory.
 */
export interface DeviceSnapshot {
  core: DeviceCore;
  epoch: number;
  eff: number;
  installs: Install[];
  deviceId: string;
  deviceName: string | null;
  group: RbacGroup;
  osPlatform: string;
  osVersion: string;
  /** TVM rows say x64 / x86 / arm64, never 64-bit (docs/mde-api.md#field-casing). */
  osArchitecture: string;
  family: PathFamily;
  lastSeenMs: number;
  lastSeenTvm: string;
}

/** The device as snapshot `epoch` shows it, or undefined when it is not in that snapshot or has no TVM data. */
export function deviceSnapshot(
  ctx: TenantContext,
  index: number,
  anyEpoch: number,
): DeviceSnapshot | undefined {
  const epoch = Math.floor(anyEpoch);
  if (!Number.isInteger(index) || index < 0 || epoch < 0 || index >= snapshotDeviceCount(ctx, epoch))
    return undefined;
  const core = deviceCore(ctx, index);
  if (!core.hasTvm) return undefined;
  ctx.cves.ensureEpoch(epoch);
  const eff = effectiveEpoch(core, epoch);
  const installs = installsOf(ctx, core, eff);
  const os = installs[0]!;
  const lastSeenMs = lastReportMs(core, snapshotTimeMs(ctx.originMs, epoch));
  return {
    core,
    epoch,
    eff,
    installs,
    deviceId: ctx.ids.idOf(index),
    deviceName: deviceName(ctx, core).dnsName,
    group: groupAt(ctx, core, epoch),
    osPlatform: core.os.kind,
    osVersion: os.product.versions[os.version]!,
    osArchitecture: core.arch,
    family: core.os.family,
    lastSeenMs,
    lastSeenTvm: tvmTime(lastSeenMs),
  };
}
