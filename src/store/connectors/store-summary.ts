import { sql } from 'kysely';
import type { Store } from '../db/store.js';
import { findingCountsBySeverity } from '../findings/finding-counts.js';
import { selectFindings } from '../findings/finding-repository.js';
import { ofConnector } from './connector-scope.js';

/**
 * What a connector holds, for the end of `mdec demo` and `mdec sync` summaries. Every count is over
 * the rows `mdec export KIND --connector NAME` writes (same scope, connector-scope.ts), so the two
 * always agree.
 */
export interface StoreSummary {
  /** Hosts by status: `active`, `stale`, `merged`, `excluded`. */
  hosts: Record<string, number>;
  openFindingsBySeverity: Record<string, number>;
  fixedFindings: number;
  topCves: Array<{ cveId: string; hosts: number }>;
  vulnerabilityDefinitions: number;
  installedSoftware: number;
  recommendations: number;
  alertsBySeverity: Record<string, number>;
  /** Hosts by risk level (docs/host-risk.md); `unrated` for hosts without one (merged hosts). */
  hostsByRiskLevel: Record<string, number>;
  /** Dynamic OS / OS_VERSION profiles of the connector. */
  profiles: number;
}

export async function storeSummary(store: Store, connectorId: number): Promise<StoreSummary> {
  const { db } = store;
  const count = sql<number>`count(*)`;
  const hostRows = await db
    .selectFrom('hosts')
    .where(ofConnector('hosts', connectorId))
    .select(['hosts.status as key', count.as('n')])
    .groupBy('hosts.status')
    .execute();
  const openFindings = await findingCountsBySeverity(db, { status: 'open', connectorId });
  const fixedFindings = await findingCountsBySeverity(db, { status: 'fixed', connectorId });
  const top = await selectFindings(store)
    .where(ofConnector('findings', connectorId))
    .where('status', '=', 'open')
    .select(['cveId', sql<number>`count(distinct machine_id)`.as('n')])
    .groupBy('cveId')
    .orderBy(sql`count(distinct machine_id)`, 'desc')
    .orderBy('cveId')
    .limit(5)
    .execute();
  const tally = async (table: 'vulnerabilityDefinitions' | 'installedSoftware' | 'recommendations') =>
    Number(
      (
        await db
          .selectFrom(table)
          .where(ofConnector(table, connectorId))
          .select(count.as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const alerts = await db
    .selectFrom('alerts')
    .where(ofConnector('alerts', connectorId))
    .select(['severity as key', count.as('n')])
    .groupBy('severity')
    .execute();
  const risk = await db
    .selectFrom('hosts')
    .where(ofConnector('hosts', connectorId))
    .select(['hosts.riskLevel as key', count.as('n')])
    .groupBy('hosts.riskLevel')
    .execute();
  const profiles = await db
    .selectFrom('profiles')
    .where(ofConnector('profiles', connectorId))
    .select(count.as('n'))
    .executeTakeFirstOrThrow();
  const toMap = (rows: Array<{ key: unknown; n: unknown }>, none = 'unknown') =>
    Object.fromEntries(rows.map((r) => [String(r.key ?? none), Number(r.n)]));
  return {
    hosts: toMap(hostRows),
    openFindingsBySeverity: openFindings,
    fixedFindings: Object.values(fixedFindings).reduce((sum, n) => sum + n, 0),
    topCves: top.map((r) => ({ cveId: r.cveId, hosts: Number(r.n) })),
    vulnerabilityDefinitions: await tally('vulnerabilityDefinitions'),
    installedSoftware: await tally('installedSoftware'),
    recommendations: await tally('recommendations'),
    alertsBySeverity: toMap(alerts),
    hostsByRiskLevel: toMap(risk, 'unrated'),
    profiles: Number(profiles.n),
  };
}
