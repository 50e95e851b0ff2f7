import { type DeviceCore, deviceCore, lastReportMs } from './device-profile.js';
import { entityTime } from './machine-generator.js';
import { FIRST_NAMES, LAST_NAMES } from './names.js';
import { below, guid, hash3, pick, unit } from './random.js';
import { machineCountAt, type TenantContext } from './tenant-context.js';
import { HOUR_MS } from './time-format.js';
import type { LogonUserRecord } from './types.js';

/**
 * Users who log on to a device (docs/mde-api.md#other-machine-endpoints), also the relatedUser of its alerts.
 */

export interface SimUser {
  accountName: string;
  domainName: string;
  userSid: string;
  aadUserId: string;
  userPrincipalName: string;
}

const LINUX_ACCOUNTS = ['root', 'ubuntu', 'ec2-user', 'svc-deploy', 'ansible'] as const;

function ascii(s: string): string {
  return s.normalize('NFD').replace(/[^A-Za-z]/g, '');
}

export function userOf(ctx: TenantContext, core: DeviceCore, k: number): SimUser {
  const h = hash3(ctx.seeds.logon, core.index, k);
  const first = pick(FIRST_NAMES, h);
  const last = pick(LAST_NAMES, hash3(ctx.seeds.logon, core.index, k + 40));
  const linux = core.os.kind === 'Linux';
  const accountName = linux
    ? pick(LINUX_ACCOUNTS, h >>> 3)
    : `${ascii(first)[0]!.toLowerCase()}${ascii(last).toLowerCase()}`;
  const domainName = linux ? 'LOCALHOST' : 'CONTOSO';
  return {
    accountName,
    domainName,
    userSid: `S-1-5-21-${1_000_000 + below(hash3(ctx.seed, 1, 2), 9_000_000)}-${1_000_000_000 + below(hash3(ctx.seed, 1, 3), 999_999_999)}-${100_000_000 + below(hash3(ctx.seed, 1, 4), 899_999_999)}-${1000 + below(h, 90_000)}`,
    aadUserId: guid(ctx.seeds.logon, below(h, 1 << 30), 30),
    userPrincipalName: `${accountName}@contoso.com`,
  };
}

export function logonUsersOf(ctx: TenantContext, index: number, atMs: number): LogonUserRecord[] {
  if (!Number.isInteger(index) || index < 0 || index >= machineCountAt(ctx, atMs)) return [];
  const core = deviceCore(ctx, index);
  if (core.onboarding !== 'Onboarded' || core.os.family === 'mobile') return [];
  const count = 1 + below(hash3(ctx.seeds.logon, index, 99), core.os.platform === 1 ? 3 : 2);
  const lastSeen = lastReportMs(core, atMs);
  const out: LogonUserRecord[] = [];
  for (let k = 0; k < count; k++) {
    const user = userOf(ctx, core, k);
    const firstMs = core.firstSeenMs + below(hash3(ctx.seeds.logon, index, 200 + k), 48) * HOUR_MS;
    const lastMs = Math.max(firstMs, lastSeen - below(hash3(ctx.seeds.logon, index, 300 + k), 12) * HOUR_MS);
    if (firstMs > atMs) continue;
    const u = unit(hash3(ctx.seeds.logon, index, 400 + k));
    const networkOnly = k > 0 && u < 0.3;
    out.push({
      id: `${user.domainName.toLowerCase()}\\${user.accountName}`,
      accountName: user.accountName,
      accountDomain: user.domainName.toLowerCase(),
      firstSeen: entityTime(ctx, index, firstMs),
      lastSeen: entityTime(ctx, index, lastMs),
      logonTypes: networkOnly ? 'Network' : core.os.platform === 1 ? 'RemoteInteractive' : 'Interactive',
      isDomainAdmin: core.os.family === 'windows' && u > 0.95,
      isOnlyNetworkUser: networkOnly,
    });
  }
  return out;
}
