import type { Kysely } from 'kysely';
import { connectorPortalLinks } from '../normalize/portal-links.js';

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

/**
 * Adds the device's Defender portal pages to exported hosts, computed on
 * read from the reporting connector's cloud, API URL and tenant, so a cloud change shows at once.
 * Expects rows already carrying `connectorId` and the `defenderMachineId` of their first source.
 */
export async function withPortalLinks(db: AnyDb, rows: Record<string, unknown>[]) {
  const ids = [...new Set(rows.map((r) => r.connectorId).filter((v) => v !== null && v !== undefined))];
  const linksOf = new Map<number, ReturnType<typeof connectorPortalLinks>>();
  if (ids.length > 0) {
    for (const c of await db
      .selectFrom('connectors')
      .select(['id', 'cloud', 'apiUrl', 'tenantId'])
      .where('id', 'in', ids)
      .execute()) {
      linksOf.set(
        Number(c.id),
        connectorPortalLinks({
          cloud: String(c.cloud),
          apiUrl: c.apiUrl === null ? null : String(c.apiUrl),
          tenantId: c.tenantId === null ? null : String(c.tenantId),
        }),
      );
    }
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
