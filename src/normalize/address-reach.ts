import { BlockList, isIP } from 'node:net';

/**
 * Which addresses and DNS names of a device are private and which public (docs/data-model.md#host).
 * Private: RFC 1918 and RFC 4193 ranges and the other special-purpose ranges of the IANA registries,
 * which are not reachable across the internet. Loopback and link-local say nothing about the device
 * and belong to neither list. Public: every other valid address.
 */

/** Loopback and link-local: left out of both lists. */
const LEFT_OUT = blocks([
  ['127.0.0.0', 8, 'ipv4'],
  ['169.254.0.0', 16, 'ipv4'],
  ['::1', 128, 'ipv6'],
  ['fe80::', 10, 'ipv6'],
]);

/** Private-use (RFC 1918, RFC 4193) and the other special-purpose ranges. */
const PRIVATE = blocks([
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['0.0.0.0', 8, 'ipv4'], // "this network"
  ['100.64.0.0', 10, 'ipv4'], // shared address space (carrier-grade NAT), RFC 6598
  ['192.0.0.0', 24, 'ipv4'], // IETF protocol assignments
  ['192.0.2.0', 24, 'ipv4'], // documentation, RFC 5737
  ['198.18.0.0', 15, 'ipv4'], // benchmarking, RFC 2544
  ['198.51.100.0', 24, 'ipv4'], // documentation
  ['203.0.113.0', 24, 'ipv4'], // documentation
  ['224.0.0.0', 4, 'ipv4'], // multicast
  ['240.0.0.0', 4, 'ipv4'], // reserved, and the broadcast address
  ['fc00::', 7, 'ipv6'], // unique local, RFC 4193
  ['::', 128, 'ipv6'], // unspecified
  ['64:ff9b:1::', 48, 'ipv6'], // local-use IPv4/IPv6 translation, RFC 8215
  ['100::', 64, 'ipv6'], // discard-only, RFC 6666
  ['2001:db8::', 32, 'ipv6'], // documentation, RFC 3849
  ['fec0::', 10, 'ipv6'], // deprecated site-local
  ['ff00::', 8, 'ipv6'], // multicast
]);

function blocks(ranges: Array<[string, number, 'ipv4' | 'ipv6']>): BlockList {
  const list = new BlockList();
  for (const [network, prefix, family] of ranges) list.addSubnet(network, prefix, family);
  return list;
}

export type AddressReach = 'private' | 'public' | 'left-out';

/** An address's reach; anything that is not an IP address (blank, malformed) is left out. */
export function addressReach(address: string): AddressReach {
  // A zone index (`fe80::1%12`) is not part of the address.
  const bare = address.trim().replace(/%.*$/, '');
  const version = isIP(bare);
  if (version === 0) return 'left-out';
  const family = version === 4 ? 'ipv4' : 'ipv6';
  // IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is the IPv4 address.
  const mapped = family === 'ipv6' ? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1] : undefined;
  if (mapped) return addressReach(mapped);
  if (LEFT_OUT.check(bare, family)) return 'left-out';
  return PRIVATE.check(bare, family) ? 'private' : 'public';
}

/** Addresses split by reach, each list without repeats, in the order given. */
export function splitAddresses(addresses: ReadonlyArray<string | null | undefined>): {
  privateIpAddresses: string[];
  publicIpAddresses: string[];
} {
  const privateIpAddresses = new Set<string>();
  const publicIpAddresses = new Set<string>();
  for (const a of addresses) {
    if (!a) continue;
    const reach = addressReach(a);
    if (reach === 'private') privateIpAddresses.add(a.trim().toLowerCase());
    else if (reach === 'public') publicIpAddresses.add(a.trim().toLowerCase());
  }
  return { privateIpAddresses: [...privateIpAddresses], publicIpAddresses: [...publicIpAddresses] };
}

/**
 * DNS suffixes outside the public namespace: special-use names (RFC 6761, RFC 6762 `.local`,
 * RFC 8375 `home.arpa`), the suffixes commonly used for private networks, and the cloud providers'
 * internal zones.
 */
const PRIVATE_SUFFIXES = [
  'local',
  'localhost',
  'localdomain',
  'internal',
  'intranet',
  'private',
  'corp',
  'home',
  'lan',
  'home.arpa',
  'test',
  'example',
  'invalid',
  'internal.cloudapp.net',
  'compute.internal',
];

/**
 * A DNS name's reach: private when it is a single label (resolved only inside its network) or ends in a
 * private suffix; public when it lies in the public namespace.
 */
export function dnsNameReach(name: string): 'private' | 'public' {
  const n = name.trim().toLowerCase().replace(/\.$/, '');
  if (!n.includes('.')) return 'private';
  return PRIVATE_SUFFIXES.some((s) => n === s || n.endsWith(`.${s}`)) ? 'private' : 'public';
}

/** A device's DNS names split by reach (MDE reports one name, `computerDnsName`). */
export function splitDnsNames(names: ReadonlyArray<string | null | undefined>): {
  privateDnsNames: string[];
  publicDnsNames: string[];
} {
  const privateDnsNames = new Set<string>();
  const publicDnsNames = new Set<string>();
  for (const raw of names) {
    const name = raw?.trim().toLowerCase();
    if (!name) continue;
    (dnsNameReach(name) === 'private' ? privateDnsNames : publicDnsNames).add(name);
  }
  return { privateDnsNames: [...privateDnsNames], publicDnsNames: [...publicDnsNames] };
}
