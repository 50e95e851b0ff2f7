import { type Kysely, type RawBuilder, sql } from 'kysely';
import {
  DEFENDER_RISK_POINTS,
  EXPOSURE_POINTS,
  hostRisk,
  worseDefenderValue,
} from '../../normalize/host-risk.js';
import { bulkUpdate } from '../db/bulk-update.js';
import { withDiskSorts } from '../db/disk-sorts.js';
import type { Store } from '../db/store.js';
import { hostIdsOfFindingsWrittenSince, openFindingsByHost } from '../findings/finding-repository.js';

/** What the step wrote. */
export interface HostRiskStepResult {
  hosts: number;
  changed: number;
}

interface Acc {
  openVulnerabilities: number;
  vulnerabilityLoad: number;
  topCve: string | null;
  topSeverity: number | null;
  topScore: number | null;
  alertId: string | null;
  alertTitle: string | null;
  alertSeverity: string | null;
  openAlerts: number;
  defenderRiskScore: string | null;
  exposureLevel: string | null;
}

const empty = (): Acc => ({
  openVulnerabilities: 0,
  vulnerabilityLoad: 0,
  topCve: null,
  topSeverity: null,
  topScore: null,
  alertId: null,
  alertTitle: null,
  alertSeverity: null,
  openAlerts: 0,
  defenderRiskScore: null,
  exposureLevel: null,
});

const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** Severity rank of an alert as SQL, to pick the most severe one per host in the database. */
const ALERT_RANK = sql.raw(
  `CASE lower(severity) WHEN 'high' THEN 4 WHEN 'medium' THEN 3 WHEN 'low' THEN 2 WHEN 'informational' THEN 1 ELSE 0 END`,
);

/**
 * Recomputes the risk of every host the connector reports (docs/host-risk.md) with a handful of
 * set-based queries: one GROUP BY over open findings (count of distinct CVEs, the vulnerability load
 * and the most severe finding), one window over open alerts, one read of the Defender fields; then the pure formula of
 * host-risk.ts per host, and batched updates of the hosts whose values changed. Findings and alerts
 * of every connector count (a host is one device whoever reports it). It deletes nothing.
 */
export async function computeHostRisk(
  store: Store,
  connectorId: number,
  at: string,
  hostsPerPass = HOSTS_PER_PASS,
  changedSince?: string,
): Promise<HostRiskStepResult> {
  const db = store.db.withoutPlugins() as Kysely<unknown>;
  const total: HostRiskStepResult = { hosts: 0, changed: 0 };
  if (changedSince !== undefined) {
    // After a run, only hosts whose findings, alerts or sources it wrote can have a new risk; an
    // unchanged re-sync or a small delta must not pay for 100,000 hosts (docs/benchmarks.md#targets).
    const ids = await hostsChangedSince(db, connectorId, changedSince);
    return withDiskSorts(store, async () => {
      for (let i = 0; i < ids.length; i += ID_LIST_PASS) {
        const part = ids.slice(i, i + ID_LIST_PASS);
        const r = await hostRiskPass(store, db, at, sql`(${sql.join(part)})`);
        total.hosts += r.hosts;
        total.changed += r.changed;
      }
      return total;
    });
  }
  const bounds = (
    await sql`SELECT MIN(host_id) AS lo, MAX(host_id) AS hi FROM host_sources WHERE connector_id = ${connectorId}`.execute(
      db,
    )
  ).rows[0] as { lo: unknown; hi: unknown } | undefined;
  if (!bounds || bounds.lo === null || bounds.hi === null) return total;
  // Passes over host id ranges keep memory flat whatever the tenant size (docs/benchmarks.md#targets).
  return withDiskSorts(store, async () => {
    for (let lo = Number(bounds.lo); lo <= Number(bounds.hi); lo += hostsPerPass) {
      const scope = sql`(SELECT host_id FROM host_sources WHERE connector_id = ${connectorId} AND host_id BETWEEN ${lo} AND ${lo + hostsPerPass - 1})`;
      const r = await hostRiskPass(store, db, at, scope);
      total.hosts += r.hosts;
      total.changed += r.changed;
    }
    return total;
  });
}

/** Host ids per pass when they come as a list: well under every database's parameter limit. */
const ID_LIST_PASS = 5_000;

/**
 * The connector's hosts a run may have changed the risk of: a finding, alert or source of theirs was
 * written at or after `since` (unchanged rows keep their updated_at), or their risk was never computed.
 */
async function hostsChangedSince(db: Kysely<unknown>, connectorId: number, since: string): Promise<number[]> {
  // Findings and alerts only ever attach to hosts of the connector's own sources: when the run wrote
  // every source (a first load), those are all the changed hosts, and the 3 million findings need
  // not be read to say so.
  const sources = (
    await sql`SELECT host_id AS id, CASE WHEN updated_at >= ${since} THEN 1 ELSE 0 END AS fresh
      FROM host_sources WHERE connector_id = ${connectorId}`.execute(db)
  ).rows as Array<{ id: unknown; fresh: unknown }>;
  if (sources.length > 0 && sources.every((r) => Number(r.fresh) === 1))
    return [...new Set(sources.map((r) => Number(r.id)))].sort((a, b) => a - b);
  const [fromFindings, others] = await Promise.all([
    hostIdsOfFindingsWrittenSince(db, connectorId, since),
    sql`SELECT host_id AS id FROM alerts WHERE connector_id = ${connectorId} AND updated_at >= ${since} AND host_id IS NOT NULL
      UNION SELECT host_id FROM host_sources WHERE connector_id = ${connectorId} AND updated_at >= ${since}
      UNION SELECT s.host_id FROM hosts h JOIN host_sources s ON s.host_id = h.id
        WHERE h.risk_changed_at IS NULL AND s.connector_id = ${connectorId}`.execute(db),
  ]);
  const ids = new Set(fromFindings);
  for (const r of others.rows as Array<{ id: unknown }>) ids.add(Number(r.id));
  return [...ids].sort((a, b) => a - b);
}

/** Host ids per pass: a few MB of rows in memory at a time. */
const HOSTS_PER_PASS = 20_000;

/** One pass over the hosts `scope` selects (a subquery or a parenthesised id list). */
async function hostRiskPass(
  store: Store,
  db: Kysely<unknown>,
  at: string,
  scope: RawBuilder<unknown>,
): Promise<HostRiskStepResult> {
  const acc = new Map<number, Acc>();
  const get = (id: unknown) => {
    const key = Number(id);
    let a = acc.get(key);
    if (!a) {
      a = empty();
      acc.set(key, a);
    }
    return a;
  };

  // Every source of these hosts, whichever connector: a host shows Defender's worst view of it.
  for (const r of (
    await sql`SELECT host_id, risk_score, exposure_level FROM host_sources WHERE host_id IN ${scope}`.execute(
      db,
    )
  ).rows as Array<Record<string, unknown>>) {
    const a = get(r.host_id);
    a.defenderRiskScore = worseDefenderValue(DEFENDER_RISK_POINTS, a.defenderRiskScore, str(r.risk_score));
    a.exposureLevel = worseDefenderValue(EXPOSURE_POINTS, a.exposureLevel, str(r.exposure_level));
  }

  for (const r of await openFindingsByHost(store, scope)) {
    const a = get(r.hostId);
    a.openVulnerabilities = r.openCves;
    a.vulnerabilityLoad = r.vulnerabilityLoad;
    a.topCve = r.topCveId;
    a.topSeverity = r.topSeverity;
    a.topScore = r.topScore;
  }

  // Open alerts: anything not resolved (docs/mde-api.md#alerts status: Unknown, New, InProgress, Resolved).
  const alertRows = await sql`SELECT host_id, id, title, severity, n FROM (
      SELECT host_id, id, title, severity,
        COUNT(*) OVER (PARTITION BY host_id) AS n,
        ROW_NUMBER() OVER (PARTITION BY host_id ORDER BY ${ALERT_RANK} DESC, COALESCE(alert_creation_time, '') DESC, id) AS rn
      FROM alerts
      WHERE host_id IN ${scope} AND (status IS NULL OR lower(status) <> 'resolved')
    ) t WHERE rn = 1`.execute(db);
  for (const r of alertRows.rows as Array<Record<string, unknown>>) {
    const a = get(r.host_id);
    a.alertId = str(r.id);
    a.alertTitle = str(r.title);
    a.alertSeverity = str(r.severity);
    a.openAlerts = Number(r.n);
  }

  const current = new Map<number, string>();
  for (const r of (
    await sql`SELECT id, risk_level, risk_score, open_vulnerability_count, top_vulnerability_cve_id,
        top_vulnerability_severity, top_vulnerability_score, top_alert_id, top_alert_title,
        top_alert_severity, open_alert_count FROM hosts WHERE id IN ${scope}`.execute(db)
  ).rows as Array<Record<string, unknown>>) {
    const { id, ...rest } = r;
    current.set(Number(id), signature(Object.values(rest)));
  }

  const updates: unknown[][] = [];
  for (const [hostId] of current) {
    const a = acc.get(hostId) ?? empty();
    const risk = hostRisk({
      vulnerabilityLoad: a.vulnerabilityLoad,
      worstAlertSeverity: a.alertId === null ? null : (a.alertSeverity ?? 'UnSpecified'),
      defenderRiskScore: a.defenderRiskScore,
      exposureLevel: a.exposureLevel,
    });
    const values = [
      risk.level,
      risk.score,
      a.openVulnerabilities,
      a.topCve,
      a.topSeverity,
      a.topScore,
      a.alertId,
      a.alertTitle,
      a.alertSeverity,
      a.openAlerts,
    ];
    if (signature(values) !== current.get(hostId)) updates.push([hostId, ...values, at]);
  }
  await bulkUpdate(
    store,
    {
      table: 'hosts',
      keys: [{ name: 'id', type: 'integer' }],
      columns: [
        { name: 'risk_level', type: 'text' },
        { name: 'risk_score', type: 'real' },
        { name: 'open_vulnerability_count', type: 'integer' },
        { name: 'top_vulnerability_cve_id', type: 'text' },
        { name: 'top_vulnerability_severity', type: 'integer' },
        { name: 'top_vulnerability_score', type: 'real' },
        { name: 'top_alert_id', type: 'text' },
        { name: 'top_alert_title', type: 'text' },
        { name: 'top_alert_severity', type: 'text' },
        { name: 'open_alert_count', type: 'integer' },
        { name: 'risk_changed_at', type: 'text' },
      ],
    },
    updates,
  );
  return { hosts: current.size, changed: updates.length };
}

/** Values compared as text, so 7 and "7" (PostgreSQL bigint) are the same. */
function signature(values: unknown[]): string {
  return values
    .map((v) => {
      if (v === null || v === undefined) return '\u0000';
      const text = String(v);
      return /^-?\d+(\.\d+)?$/.test(text) ? String(Number(text)) : text;
    })
    .join('\u0001');
}
