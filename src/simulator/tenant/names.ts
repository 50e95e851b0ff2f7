import { type DeviceCore, deviceCore } from './device-profile.js';
import { below, hash2, hash3, pick, unit } from './random.js';
import type { TenantContext } from './tenant-context.js';

/**
 * Host names and DNS names. Most follow corporate patterns; a few carry the quirks a connector must
 * survive (docs/data-model.md#host-identity-and-merging): spaces, apostrophes and parentheses, a trailing
 * space, no DNS name at all, and re-used names on potential duplicates and merged records.
 */

export const FIRST_NAMES = [
  'Jane',
  'John',
  'Maria',
  'Ahmed',
  'Yuki',
  'Olga',
  'Pierre',
  'Chen',
  'Fatima',
  'Lars',
  'Priya',
  'Diego',
  'Aisha',
  'Tom',
  'Ingrid',
  'Kenji',
  'Sofia',
  'Mateo',
  'Hannah',
  'Omar',
  'Lena',
  'Raj',
  'Emma',
  'Noah',
] as const;

export const LAST_NAMES = [
  'Smith',
  'Garcia',
  'Müller',
  'Tanaka',
  'Ivanova',
  'Dubois',
  'Wang',
  'Khan',
  'Nilsson',
  'Patel',
  'Rossi',
  'Okafor',
  'Novak',
  'Kowalski',
  'Silva',
  'Jensen',
  'Haddad',
  'Kim',
  'Brown',
  'Lopez',
] as const;

const DOMAINS = ['corp.contoso.com', 'contoso.local', 'emea.contoso.com', 'fabrikam.net'] as const;
const SITES = ['LON', 'TYO', 'NYC', 'FRA', 'SYD', 'SEA', 'BLR', 'GRU'] as const;
const SERVER_ROLES = ['APP', 'SQL', 'WEB', 'FS', 'DC', 'EXCH', 'BKP', 'RDS', 'PRN', 'CA'] as const;
const LINUX_ROLES = [
  'web-prod',
  'web-dev',
  'k8s-node',
  'db',
  'cache',
  'ci-runner',
  'bastion',
  'etl',
] as const;
const ALNUM = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';

function code(h: number, length: number): string {
  let out = '';
  let x = h;
  for (let i = 0; i < length; i++) {
    out += ALNUM[x % ALNUM.length];
    x = (Math.floor(x / ALNUM.length) ^ (Math.imul(x, 2654435761) >>> 7)) >>> 0;
  }
  return out;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export interface DeviceName {
  hostname: string;
  /** computerDnsName; null on some devices (docs/mde-api.md#machine-fields, a FQDN when known). */
  dnsName: string | null;
}

/** The device's own name, ignoring merges and duplicates. */
function ownName(ctx: TenantContext, core: DeviceCore): DeviceName {
  const i = core.index;
  const h = hash2(ctx.seeds.hostname, i);
  const q = unit(hash2(ctx.seeds.hostnameQuirk, i));
  const first = pick(FIRST_NAMES, hash3(ctx.seeds.hostname, i, 1));
  const last = pick(LAST_NAMES, hash3(ctx.seeds.hostname, i, 2));
  const domain = pick(DOMAINS, hash3(ctx.seeds.dns, i, 1));
  const joined = unit(hash3(ctx.seeds.dns, i, 2)) < 0.8;
  const noDns = unit(hash3(ctx.seeds.dns, i, 3)) < 0.02;
  const fqdn = (host: string) =>
    noDns ? null : joined ? `${host.toLowerCase()}.${domain}` : host.toLowerCase();
  switch (core.os.kind) {
    case 'Windows10':
    case 'Windows11': {
      if (q < 0.004)
        return { hostname: `${first} ${last}'s PC`, dnsName: noDns ? null : `${first} ${last}'s PC` };
      if (q < 0.008)
        return {
          hostname: `WS (old) ${below(h, 90) + 10}`,
          dnsName: noDns ? null : `ws (old) ${below(h, 90) + 10}`,
        };
      if (q < 0.01)
        return { hostname: `${first.toLowerCase()}_Desk `, dnsName: `${first.toLowerCase()}_Desk ` };
      const host =
        q < 0.45
          ? `DESKTOP-${code(h, 7)}`
          : q < 0.7
            ? `LAPTOP-${code(h, 8)}`
            : `${pick(SITES, h)}-WS-${pad(below(hash3(ctx.seeds.hostname, i, 3), 10000), 4)}`;
      return { hostname: host, dnsName: fqdn(host) };
    }
    case 'WindowsServer2019':
    case 'WindowsServer2022': {
      const host = `SRV-${pick(SERVER_ROLES, h)}-${pad(below(hash3(ctx.seeds.hostname, i, 3), 100), 2)}${code(h, 2)}`;
      return { hostname: host, dnsName: fqdn(host) };
    }
    case 'macOS': {
      if (q < 0.03) {
        const name = `${first} ${last}'s MacBook Pro (${below(h, 4) + 2})`;
        return { hostname: name, dnsName: noDns ? null : name };
      }
      const host =
        q < 0.5
          ? `${first}s-MacBook-Pro-${code(h, 3)}`
          : `${first.toLowerCase()}-mbp-${code(h, 4).toLowerCase()}`;
      return { hostname: host, dnsName: noDns ? null : `${host.toLowerCase()}.local` };
    }
    case 'Linux': {
      const host =
        q < 0.3
          ? `ip-10-${below(h, 256)}-${below(hash3(ctx.seeds.hostname, i, 4), 256)}-${below(hash3(ctx.seeds.hostname, i, 5), 256)}`
          : `${pick(LINUX_ROLES, h)}-${pad(below(hash3(ctx.seeds.hostname, i, 3), 100), 2)}${code(h, 2).toLowerCase()}`;
      return { hostname: host, dnsName: q < 0.3 ? (noDns ? null : `${host}.ec2.internal`) : fqdn(host) };
    }
    case 'iOS': {
      const name = `${first}'s iPhone`;
      return { hostname: name, dnsName: q < 0.5 ? null : name };
    }
    case 'Android': {
      const name = q < 0.5 ? `Galaxy-S23-${code(h, 4)}` : `Pixel-8-${code(h, 4)}`;
      return { hostname: name, dnsName: q < 0.5 ? null : name };
    }
  }
}

/**
 * The name a machine record shows: merged records and potential duplicates reuse another device's
 * name, as a re-onboarded device does (docs/mde-api.md#merged-and-duplicate-devices, dedup hint).
 */
export function deviceName(ctx: TenantContext, core: DeviceCore): DeviceName {
  // The survivor is never merged itself, so this recursion is one level deep at most.
  if (core.mergedInto >= 0) return deviceName(ctx, deviceCore(ctx, core.mergedInto));
  if (core.duplicateOf >= 0) return ownName(ctx, deviceCore(ctx, core.duplicateOf));
  return ownName(ctx, core);
}
