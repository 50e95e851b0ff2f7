import { type DeviceCore, deviceCore, groupAt, lastReportMs } from './device-profile.js';
import { osInstallOf } from './installs.js';
import { deviceName } from './names.js';
import { below, guid, hash2, hash3, hex8, pick, unit } from './random.js';
import { machineCountAt, type TenantContext } from './tenant-context.js';
import { DAY_MS, isoTime7 } from './time-format.js';
import { snapshotEpochAt } from './timeline.js';
import type { MachineRecord } from './types.js';

/**
 * The machine entity (docs/mde-api.md#machine-fields) of one device at a wall-clock time, including the
 * fields seen only on the wire (mergedIntoMachineId, isPotentialDuplication, vmMetadata, ...).
 */

export const ZERO_AAD_DEVICE_ID = '00000000-0000-0000-0000-000000000000';
/** MDE marks a device Inactive after seven days without signal. */
const INACTIVE_AFTER_MS = 7 * DAY_MS;

const TAGS = [
  'Tag1',
  'Tag2',
  'VIP',
  'PCI',
  'Kiosk',
  'Finance',
  'Test Device',
  'Decommission',
  'BYOD',
  'prod',
  'dev',
  'Windows Pilot',
  'test tag 1',
] as const;
const EXTERNAL_PREFIXES = ['167.220.', '20.190.', '52.114.', '40.126.', '131.107.', '203.0.'] as const;
const RISK_SCORES = ['None', 'Informational', 'Low', 'Medium', 'High'] as const;
const EXPOSURE_LEVELS = ['None', 'Low', 'Medium', 'High'] as const;

/**
 * ISO time with seven fractional digits on most devices and whole seconds on some
 * (docs/mde-api.md#timestamps).
 */
export function entityTime(ctx: TenantContext, index: number, ms: number): string {
  const style = hash2(ctx.seeds.firstSeen ^ 0x3c, index);
  if (style % 4 === 0) return isoTime7(ms - (((ms % 1000) + 1000) % 1000), 0);
  return isoTime7(ms, hash3(ctx.seeds.firstSeen, index, ms % 1_000_003) % 10_000);
}

function healthAt(ctx: TenantContext, core: DeviceCore, atMs: number, lastSeenMs: number): string {
  if (core.onboarding !== 'Onboarded') return 'Unknown';
  if (core.mergedInto >= 0 || atMs - lastSeenMs > INACTIVE_AFTER_MS) return 'Inactive';
  const u = unit(hash2(ctx.seeds.health, core.index));
  if (u < 0.02) return 'ImpairedCommunication';
  if (u < 0.04) return 'NoSensorData';
  if (u < 0.045) return 'NoSensorDataImpairedCommunication';
  return 'Active';
}

function releaseLabel(core: DeviceCore, osVersion: string): string | null {
  if (core.os.release !== null) return core.os.release;
  const parts = osVersion.split('.');
  if (core.os.kind === 'macOS' || core.os.kind === 'iOS') return parts.slice(0, 2).join('.');
  if (core.os.kind === 'Linux' && osVersion.startsWith('2')) return parts.slice(0, 2).join('.');
  return parts[0] ?? null;
}

function tagsOf(ctx: TenantContext, index: number): string[] {
  const u = unit(hash2(ctx.seeds.tags, index));
  const count = u < 0.6 ? 0 : u < 0.85 ? 1 : u < 0.97 ? 2 : 3;
  const tags: string[] = [];
  for (let k = 0; tags.length < count && k < 8; k++) {
    const tag = pick(TAGS, hash3(ctx.seeds.tags, index, k));
    if (!tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

export function macOf(ctx: TenantContext, index: number, nic: number): string {
  return (
    hex8(hash3(ctx.seeds.mac, index, nic)) + hex8(hash3(ctx.seeds.mac, index, nic + 100)).slice(0, 4)
  ).toUpperCase();
}

export function lastIpOf(ctx: TenantContext, index: number): string {
  const h = hash2(ctx.seeds.ip, index);
  return `10.${(h >>> 8) & 255}.${(h >>> 16) & 255}.${(h & 253) + 1}`;
}

function aadOf(ctx: TenantContext, core: DeviceCore): { joined: boolean; id: string | null } {
  const u = unit(hash2(ctx.seeds.aad, core.index));
  const kind = core.os.kind;
  const joinShare =
    kind === 'Windows10' || kind === 'Windows11'
      ? 0.65
      : kind === 'iOS' || kind === 'Android'
        ? 0.8
        : kind === 'macOS'
          ? 0.2
          : kind === 'Linux'
            ? 0
            : 0.1;
  if (u < joinShare) return { joined: true, id: guid(ctx.seeds.aad, core.index, 10) };
  // The all-zero id appears on devices that are not joined (docs/data-model.md#host-identity-and-merging:
  // "the all-zero AAD device id is no id").
  if (u < joinShare + 0.05 && kind !== 'Linux') return { joined: false, id: ZERO_AAD_DEVICE_ID };
  return { joined: false, id: null };
}

function agentVersionOf(core: DeviceCore, h: number): string | null {
  if (core.onboarding !== 'Onboarded') return null;
  switch (core.os.family) {
    case 'windows':
      return `10.${8470 + below(h, 400)}.${core.os.build ?? 19041}.${1000 + below(h >>> 9, 4000)}`;
    case 'mac':
      return `101.${24022 + below(h, 80)}.${String(below(h >>> 11, 20)).padStart(4, '0')}`;
    case 'linux':
      return `101.${24032 + below(h, 80)}.${String(below(h >>> 11, 20)).padStart(4, '0')}`;
    case 'mobile':
      return `1.0.${6100 + below(h, 60)}.0101`;
  }
}

export function machineRecord(ctx: TenantContext, index: number, atMs: number): MachineRecord | undefined {
  if (!Number.isInteger(index) || index < 0 || index >= machineCountAt(ctx, atMs)) return undefined;
  const core = deviceCore(ctx, index);
  const s = ctx.seeds;
  const epoch = snapshotEpochAt(ctx.originMs, atMs);
  const name = deviceName(ctx, core);
  const lastSeenMs = lastReportMs(core, atMs);
  const osInstall = osInstallOf(ctx, core, epoch);
  const osVersion = osInstall.product.versions[osInstall.version] ?? null;
  const group = groupAt(ctx, core, epoch);
  const onboarded = core.onboarding === 'Onboarded';
  const aad = core.mergedInto >= 0 ? aadOf(ctx, deviceCore(ctx, core.mergedInto)) : aadOf(ctx, core);
  const ipH = hash2(s.ip, index);
  const lastIp = lastIpOf(ctx, index);
  const mac = macOf(ctx, index, 0);
  const wireless =
    core.os.kind === 'Windows10' || core.os.kind === 'Windows11' || core.os.kind === 'macOS'
      ? (ipH & 1) === 1
      : false;
  const ipAddresses: MachineRecord['ipAddresses'] = [];
  if (core.os.family !== 'mobile') {
    ipAddresses.push({
      ipAddress: lastIp,
      macAddress: mac,
      type: wireless ? 'Wireless80211' : 'Ethernet',
      operationalStatus: 'Up',
    });
    ipAddresses.push({
      ipAddress: `fe80::${hex8(ipH).slice(0, 4)}:${hex8(ipH).slice(4)}:${hex8(hash3(s.ip, index, 6)).slice(0, 4)}`,
      macAddress: mac,
      type: wireless ? 'Wireless80211' : 'Ethernet',
      operationalStatus: 'Up',
    });
    if (core.os.family === 'windows')
      ipAddresses.push({
        ipAddress: '127.0.0.1',
        macAddress: null,
        type: 'SoftwareLoopback',
        operationalStatus: 'Up',
      });
  }
  const vmU = unit(hash2(s.vm, index));
  const vmShare =
    core.os.platform === 1 ? 0.4 : core.os.kind === 'Linux' ? 0.5 : core.os.family === 'windows' ? 0.03 : 0;
  const subscription = guid(ctx.seed, hash2(s.vm, index) % 3, 90);
  const vmMetadata: MachineRecord['vmMetadata'] =
    vmU < vmShare
      ? {
          vmId: guid(s.vm, index, 20),
          cloudProvider: 'Azure',
          resourceId: `/subscriptions/${subscription}/resourceGroups/rg-${group.name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}/providers/Microsoft.Compute/virtualMachines/${name.hostname.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`,
          subscriptionId: subscription,
        }
      : null;
  // Devices with an address reachable from the internet on a NIC: a server facing the internet (a
  // public IPv4), and clients with a global IPv6 address (docs/data-model.md#host: addresses by reach).
  if (core.os.family !== 'mobile') {
    const exposedH = hash3(s.ip, index, 8);
    if (exposedH % 25 === 0)
      ipAddresses.push({
        ipAddress: `52.${(exposedH >>> 8) & 127}.${(exposedH >>> 16) & 255}.${((exposedH >>> 24) & 253) + 1}`,
        macAddress: macOf(ctx, index, 1),
        type: 'Ethernet',
        operationalStatus: 'Up',
      });
    else if (exposedH % 5 === 1)
      ipAddresses.push({
        ipAddress: `2a01:111:f400:${hex8(exposedH).slice(0, 4)}::${hex8(exposedH).slice(4)}`,
        macAddress: mac,
        type: wireless ? 'Wireless80211' : 'Ethernet',
        operationalStatus: 'Up',
      });
  }
  const machineTags = tagsOf(ctx, index);
  // Instances in another cloud, where MDE has no VM metadata, named by an administrator's tag
  // (docs/data-model.md#host: instance id), written the ways administrators write it.
  const instanceH = hash3(s.vm, index, 7);
  if (vmMetadata === null && core.os.family !== 'mobile' && instanceH % 20 === 0)
    machineTags.push(
      `${pick(['instanceId:', 'InstanceId=', 'INSTANCEID: '], instanceH >>> 5)}i-${hex8(instanceH)}${hex8(hash2(s.vm, instanceH)).slice(0, 9)}`,
    );
  const agentH = hash2(s.agent, index);
  const avU = unit(hash2(s.av, index));
  const managedU = unit(hash2(s.managed, index));
  const excludedReasons = ['InactiveDevice', 'DuplicateDevice', 'OutOfScope', 'Other'] as const;
  return {
    id: ctx.ids.idOf(index),
    computerDnsName: name.dnsName,
    firstSeen: entityTime(ctx, index, core.firstSeenMs),
    lastSeen: entityTime(ctx, index, lastSeenMs),
    osPlatform: core.os.kind,
    osVersion,
    osProcessor: core.arch,
    version: osVersion === null ? null : releaseLabel(core, osVersion),
    lastIpAddress: lastIp,
    lastExternalIpAddress: `${pick(EXTERNAL_PREFIXES, ipH)}${(ipH >>> 12) & 255}.${((ipH >>> 20) & 253) + 1}`,
    agentVersion: agentVersionOf(core, agentH),
    osBuild: core.os.build,
    healthStatus: healthAt(ctx, core, atMs, lastSeenMs),
    deviceValue: onboarded ? core.deviceValue : null,
    rbacGroupId: group.id,
    rbacGroupName: group.name,
    riskScore: onboarded ? pick(RISK_SCORES, hash2(s.risk, index)) : 'None',
    exposureLevel: onboarded ? pick(EXPOSURE_LEVELS, hash2(s.exposure, index)) : null,
    isAadJoined: aad.joined,
    aadDeviceId: aad.id,
    machineTags,
    defenderAvStatus: !onboarded
      ? null
      : avU < 0.85
        ? 'Updated'
        : avU < 0.95
          ? 'NotUpdated'
          : avU < 0.98
            ? 'Disabled'
            : 'NotSupported',
    onboardingStatus: core.onboarding,
    osArchitecture: core.arch === 'x86' ? '32-bit' : '64-bit',
    managedBy: managedU < 0.6 ? 'Intune' : managedU < 0.8 ? 'MicrosoftDefenderForEndpoint' : 'Unknown',
    managedByStatus: managedU < 0.75 ? 'Success' : 'Unknown',
    ipAddresses,
    vmMetadata,
    isPotentialDuplication: core.duplicateOf >= 0,
    mergedIntoMachineId: core.mergedInto >= 0 ? ctx.ids.idOf(core.mergedInto) : null,
    isExcluded: core.excluded,
    exclusionReason: core.excluded ? pick(excludedReasons, hash3(s.excluded, index, 1)) : null,
  };
}
