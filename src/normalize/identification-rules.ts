import type { NormalizedMachine } from './model.js';
import { normalizeMac } from './normalize-machine.js';

/**
 * Identification rules: which existing host a Defender machine is, when
 * another connector already reports the device. Names are the option values.
 */
export const IDENTIFICATION_RULES = ['machineId', 'aadDeviceId', 'fqdn', 'hostname', 'ipMac'] as const;
export type IdentificationRuleName = (typeof IDENTIFICATION_RULES)[number];

export interface IdentificationRule {
  rule: IdentificationRuleName;
  enabled: boolean;
}

/**
 * The default order, strongest first. `hostname` is off by default: a short name is not unique
 * ("iPhone", "DESKTOP-1") and changes on a rename, so it merges hosts only when a user asks for it.
 */
export const DEFAULT_IDENTIFICATION_RULES: readonly IdentificationRule[] = [
  { rule: 'machineId', enabled: true },
  { rule: 'aadDeviceId', enabled: true },
  { rule: 'fqdn', enabled: true },
  { rule: 'ipMac', enabled: true },
  { rule: 'hostname', enabled: false },
];

/** One identifying value of a machine, as stored in `host_identifiers`. */
export interface Identifier {
  kind: IdentificationRuleName;
  value: string;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * Addresses that say nothing about which device this is: loopback, link-local (fe80::, 169.254/16)
 * and the unspecified address; every device has them or the same ones.
 */
function meaninglessIp(ip: string): boolean {
  return (
    ip.startsWith('127.') ||
    ip.startsWith('169.254.') ||
    ip === '::1' ||
    ip === '::' ||
    ip === '0.0.0.0' ||
    /^fe[89ab][0-9a-f]:/i.test(ip)
  );
}

/**
 * What identifies a machine, per rule. IP addresses are volatile (DHCP, VPN, NAT) and never identify
 * a device alone: they appear only paired with the MAC of the same interface (`ipMac`). A "hostname"
 * that is really an IP address is dropped for the same reason. Pure.
 */
export function machineIdentifiers(m: NormalizedMachine): Identifier[] {
  const out: Identifier[] = [{ kind: 'machineId', value: m.source.machineId.toLowerCase() }];
  // usableAadDeviceId already turned the all-zero id into null
  // (docs/data-model.md#host-identity-and-merging).
  if (m.source.aadDeviceId) out.push({ kind: 'aadDeviceId', value: m.source.aadDeviceId.toLowerCase() });
  const fqdn = m.host.fqdn?.trim().toLowerCase().replace(/\.$/, '');
  if (fqdn?.includes('.') && !IPV4.test(fqdn)) out.push({ kind: 'fqdn', value: fqdn });
  const hostname = m.host.hostname?.trim().toLowerCase();
  if (hostname && !IPV4.test(hostname) && !hostname.includes(':'))
    out.push({ kind: 'hostname', value: hostname });
  const pairs = new Set<string>();
  for (const i of m.source.ipAddresses) {
    const ip = i.ipAddress?.trim().toLowerCase();
    const mac = normalizeMac(i.macAddress);
    if (ip && mac && !meaninglessIp(ip)) pairs.add(`${ip}|${mac}`);
  }
  for (const value of pairs) out.push({ kind: 'ipMac', value });
  return out;
}

/** Hosts another connector holds that carry one identifier value, with what the rules need of them. */
export interface CandidateHost {
  hostId: number;
  /** The host's FQDN, to refuse a hostname match between two different FQDNs. */
  fqdn: string | null;
}

/**
 * The host one rule points a machine at: the hosts its values of that rule match, less those in
 * `held` (already reported by the machine's own connector: within one tenant the machine id is the
 * identity and Defender's own merge, mergedIntoMachineId, folds duplicates). Exactly one host is a
 * match; none, or two and more (ambiguous), is no match (`undefined`). Pure.
 */
export function hostByRule(
  rule: IdentificationRuleName,
  identifiers: readonly Identifier[],
  candidates: (kind: IdentificationRuleName, value: string) => readonly CandidateHost[] | undefined,
  held: ReadonlySet<number>,
): number | undefined {
  const fqdn = identifiers.find((i) => i.kind === 'fqdn')?.value ?? null;
  const hosts = new Set<number>();
  for (const id of identifiers) {
    if (id.kind !== rule) continue;
    for (const c of candidates(rule, id.value) ?? []) {
      if (held.has(c.hostId)) continue;
      // A short name shared by web01.a.com and web01.b.com names two devices, not one.
      if (rule === 'hostname' && fqdn && c.fqdn && c.fqdn !== fqdn) continue;
      hosts.add(c.hostId);
    }
  }
  return hosts.size === 1 ? [...hosts][0]! : undefined;
}

/**
 * Picks the host a new machine is: the enabled rules in order; the first rule that points
 * at exactly one host decides (see {@link hostByRule}); when no rule decides, the machine gets a new
 * host (`undefined`). Pure.
 */
export function pickHost(
  rules: readonly IdentificationRule[],
  identifiers: readonly Identifier[],
  candidates: (kind: IdentificationRuleName, value: string) => readonly CandidateHost[] | undefined,
  held: ReadonlySet<number>,
): { hostId: number; rule: IdentificationRuleName } | undefined {
  for (const { rule, enabled } of rules) {
    if (!enabled) continue;
    const hostId = hostByRule(rule, identifiers, candidates, held);
    if (hostId !== undefined) return { hostId, rule };
  }
  return undefined;
}
