import { type RawBuilder, sql } from 'kysely';
import type { Store } from '../store/db/store.js';

/** How many of the last finished runs the open-findings trend goes back. */
export const TREND_RUNS = 12;

/** One point of the open-findings trend: the store's open findings when a run finished. */
export interface TrendPoint {
  runId: number;
  connector: string;
  finishedAt: string;
  open: number;
}

/** Mean time to fix of one severity: fixed findings and the mean days from first found to fixed. */
export interface TimeToFix {
  severity: number;
  fixed: number;
  meanDays: number | null;
}

export interface DashboardStats {
  openFindingsOverRuns: TrendPoint[];
  hostsByExposureLevel: Record<string, number>;
  meanTimeToFix: { overallDays: number | null; fixed: number; bySeverity: TimeToFix[] };
}

/** Defender's exposure levels, worst last; a host with several sources counts under its worst. */
const EXPOSURE_LEVELS = ['None', 'Low', 'Medium', 'High'] as const;

/** Days between two ISO texts, in each database's own date arithmetic. */
function daysBetween(store: Store, from: string, to: string): RawBuilder<number> {
  return store.dialect === 'postgres'
    ? sql<number>`extract(epoch from (cast(${sql.ref(to)} as timestamptz) - cast(${sql.ref(from)} as timestamptz))) / 86400.0`
    : sql<number>`(julianday(${sql.ref(to)}) - julianday(${sql.ref(from)}))`;
}

/**
 * The open findings when each of the last runs finished, and the mean time to fix, in one pass over
 * the findings table grouped by severity (five rows back, whatever the store's size). A finding
 * counts as open at a time when it was first found by then and is open now or was fixed only after
 * it; a finding fixed and found again counts as open since it was first found (the store keeps its
 * last fix, not every one).
 */
async function findingFigures(store: Store, points: Array<{ finishedAt: string }>) {
  const openAt = points.map((p, i) =>
    sql<number>`sum(case when first_found <= ${p.finishedAt} and (status = 'open' or last_fixed > ${p.finishedAt}) then 1 else 0 end)`.as(
      `r${i}`,
    ),
  );
  const fixedRow = sql`status = 'fixed' and last_fixed is not null and last_fixed >= first_found`;
  const result = await sql<Record<string, number | string | null>>`
    select severity,
      sum(case when ${fixedRow} then 1 else 0 end) as fixed,
      sum(case when ${fixedRow} then ${daysBetween(store, 'first_found', 'last_fixed')} else 0 end) as fixdays
      ${openAt.length > 0 ? sql`, ${sql.join(openAt)}` : sql``}
    from findings
    group by severity`.execute(store.db);
  return result.rows;
}

/** Hosts by the worst exposure level Defender gives any of their sources (`unknown`: none given). */
async function hostsByExposureLevel(store: Store): Promise<Record<string, number>> {
  const rank = sql`case exposure_level ${sql.join(
    EXPOSURE_LEVELS.map((level, i) => sql`when ${level} then ${sql.lit(i)}`),
    sql` `,
  )} else -1 end`;
  const result = await sql<{ level: number | string; n: number | string }>`
    select level, count(*) as n
    from (select host_id, max(${rank}) as level from host_sources group by host_id) ranked
    group by level`.execute(store.db);
  const counts: Record<string, number> = {};
  for (const row of result.rows) counts[EXPOSURE_LEVELS[Number(row.level)] ?? 'unknown'] = Number(row.n);
  return counts;
}

/**
 * What the dashboard draws beyond the overview's counts (docs/api.md#statistics): the open findings
 * over the last runs, hosts by exposure level, and the mean time to fix by severity, all computed by
 * the database.
 */
export async function dashboardStats(store: Store): Promise<DashboardStats> {
  const runs = await store.db
    .selectFrom('syncRuns')
    .innerJoin('connectors', 'connectors.id', 'syncRuns.connectorId')
    .select(['syncRuns.id', 'connectors.name as connector', 'syncRuns.finishedAt'])
    .where('syncRuns.state', 'in', ['succeeded', 'partial'])
    .where('syncRuns.finishedAt', 'is not', null)
    .orderBy('syncRuns.finishedAt', 'desc')
    .orderBy('syncRuns.id', 'desc')
    .limit(TREND_RUNS)
    .execute();
  const points = runs.reverse().map((r) => ({
    runId: Number(r.id),
    connector: r.connector,
    finishedAt: r.finishedAt as string,
  }));
  const [rows, exposure] = await Promise.all([findingFigures(store, points), hostsByExposureLevel(store)]);
  const sum = (key: string) => rows.reduce((n, row) => n + Number(row[key] ?? 0), 0);
  const fixed = sum('fixed');
  const bySeverity = rows
    .map((row) => {
      const n = Number(row.fixed ?? 0);
      return {
        severity: Number(row.severity),
        fixed: n,
        meanDays: n > 0 ? round(Number(row.fixdays) / n) : null,
      };
    })
    .filter((s) => s.fixed > 0)
    .sort((a, b) => b.severity - a.severity);
  return {
    openFindingsOverRuns: points.map((p, i) => ({ ...p, open: sum(`r${i}`) })),
    hostsByExposureLevel: exposure,
    meanTimeToFix: { overallDays: fixed > 0 ? round(sum('fixdays') / fixed) : null, fixed, bySeverity },
  };
}

const round = (days: number) => Math.round(days * 10) / 10;
