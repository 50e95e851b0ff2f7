import { sql } from 'kysely';
import type { Store } from './open-store.js';

/** What a connector holds, for the end of `mdec demo` and `mdec sync` summaries. */
export interface StoreSummary {
  hosts: Record<string, number>;
  openFindingsBySeverity: Record<string, number>;
  fixedFindings: number;
  topCves: Array<{ cveId: string; hosts: number }>;
  vulnerabilityDefinitions: number;
  installedSoftware: number;
  recommendations: number;
  alertsBySeverity: Record<string, number>;
  /** Hosts by risk level (issue 4 item 3), worst first when printed. */
  hostsByRiskLevel: Record<string, number>;
  /** Dynamic OS / OS_VERSION profiles of the connector (seed 002). */
  profiles: number;
}

export async function storeSummary(store: Store, connectorId: number): Promise<StoreSummary> {
  const { db } = store;
  const count = sql<number>`count(*)`;
  const hostRows = await db
    .selectFrom('hosts')
    .innerJoin('hostSources', 'hostSources.hostId', 'hosts.id')
    .where('hostSources.connectorId', '=', connectorId)
    .select(['hosts.status as key', count.as('n')])
    .groupBy('hosts.status')
    .execute();
  const findingRows = await db
    .selectFrom('findings')
    .where('connectorId', '=', connectorId)
    .where('status', '=', 'open')
    .select(['severity as key', count.as('n')])
    .groupBy('severity')
    .execute();
  const fixed = await db
    .selectFrom('findings')
    .where('connectorId', '=', connectorId)
    .where('status', '=', 'fixed')
    .select(count.as('n'))
    .executeTakeFirstOrThrow();
  const top = await db
    .selectFrom('findings')
    .where('connectorId', '=', connectorId)
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
          .where('connectorId', '=', connectorId)
          .select(count.as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const alerts = await db
    .selectFrom('alerts')
    .where('connectorId', '=', connectorId)
    .select(['severity as key', count.as('n')])
    .groupBy('severity')
    .execute();
  const risk = await db
    .selectFrom('hosts')
    .innerJoin('hostSources', 'hostSources.hostId', 'hosts.id')
    .where('hostSources.connectorId', '=', connectorId)
    .select(['hosts.riskLevel as key', count.as('n')])
    .groupBy('hosts.riskLevel')
    .execute();
  const profiles = await db
    .selectFrom('profiles')
    .where('connectorId', '=', connectorId)
    .select(count.as('n'))
    .executeTakeFirstOrThrow();
  const toMap = (rows: Array<{ key: unknown; n: unknown }>) =>
    Object.fromEntries(rows.map((r) => [String(r.key ?? 'unknown'), Number(r.n)]));
  return {
    hosts: toMap(hostRows),
    openFindingsBySeverity: toMap(findingRows),
    fixedFindings: Number(fixed.n),
    topCves: top.map((r) => ({ cveId: r.cveId, hosts: Number(r.n) })),
    vulnerabilityDefinitions: await tally('vulnerabilityDefinitions'),
    installedSoftware: await tally('installedSoftware'),
    recommendations: await tally('recommendations'),
    alertsBySeverity: toMap(alerts),
    hostsByRiskLevel: toMap(risk),
    profiles: Number(profiles.n),
  };
}
