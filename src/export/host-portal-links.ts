import { connectorPortalLinks } from '../normalize/portal-links.js';
import { queryTemplate } from '../store/db/query-template.js';
import type { Store } from '../store/db/store.js';

/** What a connector's portal links are made from: its cloud, API URL and tenant. */
export interface PortalInputs {
  cloud: string;
  apiUrl: string;
  tenantId: string;
}

const portalOf = queryTemplate((store, connectorId: number) =>
  store.db.selectFrom('connectors').select(['cloud', 'apiUrl', 'tenantId']).where('id', '=', connectorId),
);

/**
 * Adds the device's Defender portal pages to exported hosts, computed on
 * read from the reporting connector's cloud, API URL and tenant, so a cloud change shows at once.
 * Expects rows already carrying `connectorId` and the `defenderMachineId` of their first source.
 * `known`: the inputs of connectors already read, by id.
 */
export async function withPortalLinks(
  store: Store,
  rows: Record<string, unknown>[],
  known?: ReadonlyMap<number, PortalInputs>,
) {
  const ids = new Set<number>();
  for (const r of rows)
    if (r.connectorId !== null && r.connectorId !== undefined) ids.add(Number(r.connectorId));
  const linksOf = new Map<number, ReturnType<typeof connectorPortalLinks>>();
  // One read per connector not `known`: a page's hosts come from a few.
  for (const id of ids) {
    const c = known?.get(id) ?? (await portalOf(store, id))[0];
    if (c) linksOf.set(id, connectorPortalLinks({ cloud: c.cloud, apiUrl: c.apiUrl, tenantId: c.tenantId }));
  }
  // In place, as every enrichment of a page (read-records.ts).
  for (const r of rows) {
    const links =
      linksOf.get(Number(r.connectorId))?.(
        r.defenderMachineId === undefined ? null : (r.defenderMachineId as string | null),
      ) ?? null;
    r.portalOverviewUrl = links?.overview ?? null;
    r.portalVulnerabilitiesUrl = links?.vulnerabilities ?? null;
    r.portalAlertsUrl = links?.alerts ?? null;
    r.portalTimelineUrl = links?.timeline ?? null;
  }
  return rows;
}
