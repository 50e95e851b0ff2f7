/**
 * The all-zero AAD device id MDE sends for devices not joined to Entra: it is no id
 * (docs/data-model.md#host-identity-and-merging).
 */
export const EMPTY_AAD_DEVICE_ID = '00000000-0000-0000-0000-000000000000';

export function usableAadDeviceId(value: string | null | undefined): string | null {
  if (!value) return null;
  const v = value.trim().toLowerCase();
  return v === '' || v === EMPTY_AAD_DEVICE_ID ? null : v;
}

/**
 * A host's display name falls back from the DNS name to the IP address to the AAD device id, and
 * last to the machine id, so no host is nameless (docs/data-model.md#host-identity-and-merging). Names keep
 * spaces and parentheses (iPads are called "John's iPad (2)").
 */
export function hostName(input: {
  computerDnsName?: string | null;
  lastIpAddress?: string | null;
  aadDeviceId?: string | null;
  machineId: string;
}): string {
  const dns = input.computerDnsName?.trim();
  if (dns) return dns;
  const ip = input.lastIpAddress?.trim();
  if (ip) return ip;
  return usableAadDeviceId(input.aadDeviceId) ?? input.machineId;
}

/** The first label of a DNS name, lower-cased: `web01.contoso.com` → `web01`. */
export function shortHostname(fqdn: string | null | undefined): string | null {
  const v = fqdn?.trim();
  if (!v) return null;
  // An IP address or a name with spaces is no DNS name: keep it whole.
  if (/^\d+\.\d+\.\d+\.\d+$/.test(v) || /\s/.test(v)) return v.toLowerCase();
  return v.split('.')[0]!.toLowerCase();
}
