/**
 * Links to a device's pages in the Microsoft Defender portal for the connector's cloud ("a hyperlink to the
 * MS Defender overview page", "links directly to the endpoint's Microsoft Defender vulnerabilities page",
 * "Microsoft Defender risk alerts page").
 *
 * Portal hosts per cloud come from Microsoft's "Defender for Endpoint for US Government customers"
 * page (defender-docs `defender-endpoint/gov.md`, section "Portal URLs"; docs/mde-api.md#clouds-and-hosts):
 * commercial and GCC use security.microsoft.com, GCC High security.microsoft.us, DoD security.apps.mil. The
 * device page is `/machines/v2/{machineId}/{tab}`; the docs name the tabs (`investigate-machines.md`:
 * overview, alerts, timeline, discovered vulnerabilities) but not their paths: `/overview` is the
 * path public integrations link to [observed], and `/alerts`, `/timeline` and `/vulnerabilities`
 * follow the same pattern [inference]. `tid` selects the tenant [observed], which matters for
 * analysts who can open several tenants (MSSPs).
 */
import type { Cloud } from '../mde/cloud-endpoints.js';

export const PORTAL_HOSTS = {
  commercial: 'https://security.microsoft.com',
  gcc: 'https://security.microsoft.com',
  'gcc-high': 'https://security.microsoft.us',
  dod: 'https://security.apps.mil',
} as const satisfies Record<Exclude<Cloud, 'custom'>, string>;

/** The device page tabs we link to, and their path segments. */
export const DEVICE_TABS = {
  overview: 'overview',
  vulnerabilities: 'vulnerabilities',
  alerts: 'alerts',
  timeline: 'timeline',
} as const;

export type PortalLinks = Record<keyof typeof DEVICE_TABS, string>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The portal of a `custom` connector, from its API host when that is one of Microsoft's (a regional
 * commercial host, or a government host); null for anything else (a simulator, a proxy). The GCC High
 * and DoD API host is shared, so a custom connector on it gets the GCC High portal; pick cloud `dod`
 * for DoD links.
 */
export function portalHostOf(cloud: Cloud | string, apiUrl: string | null | undefined): string | null {
  if (cloud in PORTAL_HOSTS) return PORTAL_HOSTS[cloud as keyof typeof PORTAL_HOSTS];
  if (cloud !== 'custom' || !apiUrl) return null;
  let host: string;
  try {
    host = new URL(apiUrl).hostname.toLowerCase();
  } catch {
    return null;
  }
  if (host === 'api-gcc.securitycenter.microsoft.us') return PORTAL_HOSTS.gcc;
  if (host === 'api-gov.securitycenter.microsoft.us') return PORTAL_HOSTS['gcc-high'];
  if (
    host.endsWith('.security.microsoft.com') ||
    host.endsWith('.securitycenter.microsoft.com') ||
    host.endsWith('.securitycenter.windows.com')
  ) {
    return PORTAL_HOSTS.commercial;
  }
  return null;
}

/** The device's portal pages, or null when the cloud's portal is unknown or there is no machine id. */
export function devicePortalLinks(input: {
  cloud: Cloud | string;
  apiUrl?: string | null;
  tenantId?: string | null;
  machineId: string | null | undefined;
}): PortalLinks | null {
  return connectorPortalLinks(input)(input.machineId);
}

/**
 * The portal pages of a connector's devices, by machine id (as {@link devicePortalLinks}): the portal
 * host and tenant, which parsing the API URL and checking the tenant id decide, are worked out once
 * per connector rather than once per device of a page.
 */
export function connectorPortalLinks(connector: {
  cloud: Cloud | string;
  apiUrl?: string | null;
  tenantId?: string | null;
}): (machineId: string | null | undefined) => PortalLinks | null {
  const portal = portalHostOf(connector.cloud, connector.apiUrl);
  if (!portal) return () => null;
  const tenantId = connector.tenantId;
  const tenant = tenantId && GUID.test(tenantId) ? `?tid=${tenantId.toLowerCase()}` : '';
  return (raw) => {
    const machineId = raw?.trim();
    if (!machineId) return null;
    const base = `${portal}/machines/v2/${encodeURIComponent(machineId.toLowerCase())}`;
    const links = {} as PortalLinks;
    for (const [name, segment] of Object.entries(DEVICE_TABS)) {
      links[name as keyof PortalLinks] = `${base}/${segment}${tenant}`;
    }
    return links;
  };
}
