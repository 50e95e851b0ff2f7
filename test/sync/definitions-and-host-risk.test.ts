import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUERY_SPECS } from '../../src/export/query-fields.js';
import { readRecords } from '../../src/export/read-records.js';
import {
  DEFENDER_RISK_POINTS,
  EXPOSURE_POINTS,
  hostRisk,
  vulnerabilityLoad,
} from '../../src/normalize/host-risk.js';
import { compileQuery } from '../../src/normalize/query/compile-query.js';
import { validateScoringMap } from '../../src/normalize/scoring/scoring-map.js';
import { cvssBaseScore, cvssTemporalScore, parseCvssVector } from '../../src/simulator/tenant/cvss.js';
import { ScoringMapRepository } from '../../src/store/connectors/scoring-map-repository.js';
import { enrichDefinitions } from '../../src/store/derive/definition-enrichment-step.js';
import { computeHostRisk } from '../../src/store/derive/host-risk-step.js';
import { rescoreConnector } from '../../src/store/derive/rescore-connector.js';
import { selectFindings, whereFinding } from '../../src/store/findings/finding-repository.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, sync } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

/** The value of several sources that weighs most in the table (unknown values weigh nothing). */
function worst3(table: Record<string, number>, values: Array<string | null>): string | null {
  let best: string | null = null;
  for (const v of values) {
    if (v === null) continue;
    if (best === null || (table[v.toLowerCase()] ?? 0) > (table[best.toLowerCase()] ?? 0)) best = v;
  }
  return best;
}

const ALERT_RANK: Record<string, number> = { high: 4, medium: 3, low: 2, informational: 1 };

describe.each(STORE_KINDS)('vulnerability definitions in depth and host risk (%s)', (kind) => {
  let sim: TestSimulator;
  let db: TestStore;
  let connectorId: number;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 250, seed: 13 });
    db = await openTestStore(kind);
    connectorId = (await addConnector(db.store, sim)).id;
    const result = await sync(db.store, sim, 'full');
    expect(result.state).toBe('succeeded');
  });
  afterAll(async () => {
    await db?.drop();
    await sim?.close();
  });

  /** The simulator's catalog, scored by the simulator's own CVSS code (an independent implementation). */
  async function catalogTruth() {
    const { rows } = await sim.allPages('/api/vulnerabilities?$top=8000');
    return rows;
  }

  it('stores every v3 component and the scores computed from the vector, matching the simulator', async () => {
    const truth = await catalogTruth();
    const stored = new Map(
      (
        await db.store.db
          .selectFrom('vulnerabilityDefinitions')
          .selectAll()
          .where('connectorId', '=', connectorId)
          .execute()
      ).map((r) => [r.id, r]),
    );
    expect(stored.size).toBe(truth.length);
    let withVector = 0;
    let temporal = 0;
    for (const t of truth) {
      const s = stored.get(String(t.id))!;
      expect(s, String(t.id)).toBeDefined();
      const vector = t.cvssVector as string | null;
      if (!vector) {
        expect(s.cvssV3BaseScore).toBeNull();
        expect(s.cvssV3Components).toBe('{}');
        continue;
      }
      withVector++;
      const parsed = parseCvssVector(vector)!;
      expect(parsed, vector).toBeDefined();
      const components = JSON.parse(s.cvssV3Components) as Record<string, string>;
      for (const m of ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A', 'E', 'RL', 'RC']) {
        expect(components[m], `${t.id} ${m}`).toBe(parsed.metrics[m] ?? 'X');
      }
      if (parsed.metrics.E) temporal++;
      expect(s.cvssV3Version).toBe(parsed.version);
      expect(s.cvssV3Vector).toBe(vector);
      expect(Number(s.cvssV3BaseScore)).toBe(cvssBaseScore(parsed));
      expect(Number(s.cvssV3TemporalScore)).toBe(cvssTemporalScore(parsed));
      const agrees = Math.abs(Number(t.cvssV3) - cvssBaseScore(parsed)) < 0.05;
      expect(Number(s.cvssV3ScoreAgrees)).toBe(agrees ? 1 : 0);
      expect(s.cvssV3ScoreDifference === null ? null : Number(s.cvssV3ScoreDifference)).toBe(
        agrees ? null : Math.round((Number(t.cvssV3) - cvssBaseScore(parsed)) * 10) / 10,
      );
      // MDE sends no v2 vector in the catalog (docs/mde-api.md#cve-catalog); nothing is invented.
      expect(s.cvssV2Vector).toBeNull();
    }
    expect(withVector).toBeGreaterThan(100);
    expect(temporal).toBeGreaterThan(0);
  });

  it('derives exploit maturity from the flags and keeps exploit URIs among the references', async () => {
    const truth = await catalogTruth();
    const stored = new Map(
      (await db.store.db.selectFrom('vulnerabilityDefinitions').selectAll().execute()).map((r) => [r.id, r]),
    );
    const seen = new Set<string>();
    for (const t of truth) {
      const s = stored.get(String(t.id))!;
      const rank = t.exploitInKit ? 3 : t.exploitVerified ? 2 : t.publicExploit ? 1 : 0;
      expect(Number(s.exploitMaturityRank)).toBe(rank);
      expect(s.exploitMaturity).toBe(['none', 'public', 'verified', 'in-kit'][rank]);
      seen.add(String(s.exploitMaturity));
      const refs = JSON.parse(s.referenceUrls) as string[];
      for (const uri of t.exploitUris as string[]) expect(refs).toContain(uri);
      if (String(t.id).startsWith('CVE-')) expect(refs).toContain(`https://nvd.nist.gov/vuln/detail/${t.id}`);
    }
    expect(seen.size).toBeGreaterThan(1);
  });

  it('derives affected software and patch availability from the stored findings', async () => {
    const findings = await selectFindings(db.store)
      .select([
        'cveId',
        'softwareVendor',
        'softwareName',
        'securityUpdateAvailable',
        'recommendedSecurityUpdateId',
      ])
      .where('connectorId', '=', connectorId)
      .execute();
    const expected = new Map<string, { software: Set<string>; patch: boolean }>();
    for (const f of findings) {
      const e = expected.get(f.cveId) ?? { software: new Set(), patch: false };
      e.software.add(`${f.softwareVendor}|${f.softwareName}`);
      if (Number(f.securityUpdateAvailable) === 1 || f.recommendedSecurityUpdateId !== null) e.patch = true;
      expected.set(f.cveId, e);
    }
    const defs = await db.store.db.selectFrom('vulnerabilityDefinitions').selectAll().execute();
    let checked = 0;
    let patched = 0;
    for (const d of defs) {
      const e = expected.get(d.id);
      const software = JSON.parse(d.affectedSoftware) as Array<{ vendor: string; name: string }>;
      expect(new Set(software.map((s) => `${s.vendor}|${s.name}`))).toEqual(e?.software ?? new Set());
      expect(Number(d.affectedSoftwareCount)).toBe(software.length);
      if (e?.patch) {
        expect(Number(d.patchAvailable)).toBe(1);
        patched++;
      }
      if (!e) expect(d.patchAvailable).toBeNull();
      checked++;
    }
    expect(checked).toBeGreaterThan(100);
    expect(patched).toBeGreaterThan(0);
  });

  it("takes a flagless CVE's maturity from the strongest exploitability level of its findings", async () => {
    const levels = await selectFindings(db.store)
      .select(['cveId', 'exploitabilityLevel'])
      .where('connectorId', '=', connectorId)
      .execute();
    const rankOf: Record<string, number> = {
      NoExploit: 0,
      ExploitIsPublic: 1,
      ExploitIsVerified: 2,
      ExploitIsInKit: 3,
    };
    const strongest = new Map<string, number>();
    for (const f of levels) {
      const r = rankOf[f.exploitabilityLevel ?? ''];
      if (r !== undefined) strongest.set(f.cveId, Math.max(strongest.get(f.cveId) ?? 0, r));
    }
    const ids = [...strongest.keys()].slice(0, 40);
    await db.store.db
      .updateTable('vulnerabilityDefinitions')
      .set({ publicExploit: null, exploitVerified: null, exploitInKit: null })
      .where('id', 'in', ids)
      .execute();
    await enrichDefinitions(db.store, connectorId, new Date().toISOString());
    const rows = await db.store.db
      .selectFrom('vulnerabilityDefinitions')
      .select(['id', 'exploitMaturityRank', 'exploitMaturity'])
      .where('id', 'in', ids)
      .execute();
    expect(rows.length).toBe(ids.length);
    for (const r of rows) {
      expect(Number(r.exploitMaturityRank), r.id).toBe(strongest.get(r.id));
      expect(r.exploitMaturity).toBe(['none', 'public', 'verified', 'in-kit'][strongest.get(r.id)!]);
    }
  });

  /** Host risk computed here from the simulator's truth rows and the stored alerts and findings. */
  async function expectHostRiskMatches() {
    const truthRows = await sim.truthRows('vulnerabilities');
    const cvesByMachine = new Map<string, Set<string>>();
    for (const r of truthRows) {
      if (!r.cveId) continue;
      const m = String(r.deviceId).toLowerCase();
      const set = cvesByMachine.get(m) ?? new Set<string>();
      set.add(String(r.cveId));
      cvesByMachine.set(m, set);
    }
    const hosts = await db.store.db
      .selectFrom('hosts')
      .innerJoin('hostSources', 'hostSources.hostId', 'hosts.id')
      .select([
        'hosts.id',
        'hostSources.machineId',
        'hostSources.riskScore as defenderRisk',
        'hostSources.exposureLevel',
        'hosts.riskScore',
        'hosts.riskLevel',
        'hosts.openVulnerabilityCount',
        'hosts.topVulnerabilityCveId',
        'hosts.topVulnerabilitySeverity',
        'hosts.topVulnerabilityScore',
        'hosts.topAlertId',
        'hosts.topAlertSeverity',
        'hosts.openAlertCount',
      ])
      .execute();
    const findings = await selectFindings(db.store)
      .select(['hostId', 'cveId', 'severity', 'score'])
      .where('status', '=', 'open')
      .execute();
    const alerts = await db.store.db
      .selectFrom('alerts')
      .select(['hostId', 'id', 'severity', 'status'])
      .execute();
    // A host may hold several machine records (duplicates folded into the survivor,
    // docs/data-model.md#host-identity-and-merging): its vulnerabilities are those of all of them, and
    // Defender's worst view of any of them counts.
    const cvesByHost = new Map<number, Set<string>>();
    const sourcesByHost = new Map<number, typeof hosts>();
    for (const h of hosts) {
      const set = cvesByHost.get(Number(h.id)) ?? new Set<string>();
      for (const c of cvesByMachine.get(h.machineId) ?? []) set.add(c);
      cvesByHost.set(Number(h.id), set);
      sourcesByHost.set(Number(h.id), [...(sourcesByHost.get(Number(h.id)) ?? []), h]);
    }
    let withAlert = 0;
    let withVulns = 0;
    for (const [, [h, ...others]] of sourcesByHost) {
      if (!h) continue;
      const cves = cvesByHost.get(Number(h.id))!;
      expect(Number(h.openVulnerabilityCount), h.machineId).toBe(cves.size);
      const mine = findings.filter((f) => Number(f.hostId) === Number(h.id));
      const worst = mine.reduce<(typeof mine)[number] | null>(
        (w, f) =>
          w === null ||
          f.severity > w.severity ||
          (f.severity === w.severity && Number(f.score) > Number(w.score))
            ? f
            : w,
        null,
      );
      if (worst) {
        withVulns++;
        expect(Number(h.topVulnerabilitySeverity)).toBe(worst.severity);
        expect(Number(h.topVulnerabilityScore)).toBe(Number(worst.score));
        const tied = mine.filter(
          (f) => f.severity === worst.severity && Number(f.score) === Number(worst.score),
        );
        expect(tied.map((f) => f.cveId)).toContain(h.topVulnerabilityCveId);
      } else {
        expect(h.topVulnerabilityCveId).toBeNull();
      }
      const open = alerts.filter((a) => Number(a.hostId) === Number(h.id) && a.status !== 'Resolved');
      const worstAlert = Math.max(0, ...open.map((a) => ALERT_RANK[String(a.severity).toLowerCase()] ?? 0));
      expect(Number(h.openAlertCount ?? 0)).toBe(open.length);
      if (open.length > 0) {
        withAlert++;
        expect(ALERT_RANK[String(h.topAlertSeverity).toLowerCase()] ?? 0).toBe(worstAlert);
        expect(open.map((a) => a.id)).toContain(h.topAlertId);
      }
      const risk = hostRisk({
        vulnerabilityLoad: vulnerabilityLoad(mine.map((f) => Number(f.score))),
        worstAlertSeverity: open.length > 0 ? String(h.topAlertSeverity) : null,
        defenderRiskScore: worst3(
          DEFENDER_RISK_POINTS,
          [h, ...others].map((x) => x.defenderRisk),
        ),
        exposureLevel: worst3(
          EXPOSURE_POINTS,
          [h, ...others].map((x) => x.exposureLevel),
        ),
      });
      expect(Number(h.riskScore), h.machineId).toBe(risk.score);
      expect(h.riskLevel).toBe(risk.level);
    }
    expect(withVulns).toBeGreaterThan(50);
    expect(withAlert).toBeGreaterThan(0);
    return sourcesByHost.size;
  }

  it("gives every host a risk that matches the simulator's truth", async () => {
    const sources = await db.store.db.selectFrom('hostSources').select('hostId').execute();
    expect(await expectHostRiskMatches()).toBe(new Set(sources.map((s) => Number(s.hostId))).size);
  });

  it('computes the same risk in many small passes over host id ranges, and rewrites only changes', async () => {
    await db.store.db
      .updateTable('hosts')
      .set({ riskScore: null, riskLevel: null, openVulnerabilityCount: null })
      .execute();
    const first = await computeHostRisk(db.store, connectorId, new Date().toISOString(), 17);
    expect(first.changed).toBe(first.hosts);
    await expectHostRiskMatches();
    const again = await computeHostRisk(db.store, connectorId, new Date().toISOString(), 17);
    expect(again).toEqual({ hosts: first.hosts, changed: 0 });
  });

  it('after a run, recomputes only the hosts whose findings, alerts or sources it wrote', async () => {
    const later = '2999-01-01T00:00:00.000Z';
    expect(await computeHostRisk(db.store, connectorId, later, undefined, later)).toEqual({
      hosts: 0,
      changed: 0,
    });
    // One finding rewritten now: its host, and only it, is recomputed, back to the right risk.
    const f = await selectFindings(db.store)
      .select(['connectorId', 'deviceId', 'softwareId', 'cveId', 'hostId'])
      .where('status', '=', 'open')
      .where('hostId', 'is not', null)
      .orderBy('deviceId')
      .orderBy('softwareId')
      .orderBy('cveId')
      .executeTakeFirstOrThrow();
    const host = await db.store.db
      .selectFrom('hosts')
      .select(['riskScore', 'riskLevel'])
      .where('id', '=', f.hostId!)
      .executeTakeFirstOrThrow();
    await db.store.db.updateTable('findings').set({ updatedAt: later }).where(whereFinding(f)).execute();
    await db.store.db
      .updateTable('hosts')
      .set({ riskScore: null, riskLevel: null })
      .where('id', '=', f.hostId!)
      .execute();
    expect(await computeHostRisk(db.store, connectorId, later, undefined, later)).toEqual({
      hosts: 1,
      changed: 1,
    });
    expect(
      await db.store.db
        .selectFrom('hosts')
        .select(['riskScore', 'riskLevel'])
        .where('id', '=', f.hostId!)
        .executeTakeFirstOrThrow(),
    ).toEqual(host);
    await expectHostRiskMatches();
  });

  it('exports definitions with parsed components and hosts with their risk and portal links', async () => {
    const vulns: Record<string, unknown>[] = [];
    for await (const r of readRecords(db.store, 'vulnerabilities', { connectorId })) vulns.push(r);
    const scored = vulns.find((v) => v.cvssV3BaseScore !== null)!;
    expect(typeof scored.cvssV3Components).toBe('object');
    expect((scored.cvssV3Components as Record<string, string>).AV).toMatch(/^[NALP]$/);
    expect(Array.isArray(scored.affectedSoftware)).toBe(true);
    expect(Array.isArray(scored.referenceUrls)).toBe(true);
    expect([true, false, null]).toContain(scored.patchAvailable);
    const verified = compileQuery('maturity>=verified', QUERY_SPECS.vulnerabilities!);
    const expected = vulns.filter((v) => Number(v.exploitMaturityRank) >= 2);
    expect(expected.length).toBeGreaterThan(0);
    expect(vulns.filter(verified)).toEqual(expected);

    // The simulator connector is `custom` on loopback: no portal is known, so no links.
    let hosts: Record<string, unknown>[] = [];
    for await (const r of readRecords(db.store, 'hosts', { connectorId })) hosts.push(r);
    expect(hosts.every((h) => h.portalOverviewUrl === null)).toBe(true);
    await db.store.db
      .updateTable('connectors')
      .set({ cloud: 'gcc-high' })
      .where('id', '=', connectorId)
      .execute();
    hosts = [];
    for await (const r of readRecords(db.store, 'hosts', { connectorId })) hosts.push(r);
    const h = hosts.find((x) => Number(x.openVulnerabilityCount) > 0)!;
    const base = `https://security.microsoft.us/machines/v2/${h.defenderMachineId}`;
    const tid = `?tid=${sim.sim.info.tenantId.toLowerCase()}`;
    expect(h.portalOverviewUrl).toBe(`${base}/overview${tid}`);
    expect(h.portalVulnerabilitiesUrl).toBe(`${base}/vulnerabilities${tid}`);
    expect(h.portalAlertsUrl).toBe(`${base}/alerts${tid}`);
    expect(h.portalTimelineUrl).toBe(`${base}/timeline${tid}`);
    expect(typeof h.riskScore).toBe('number');
    expect(h.topVulnerabilityCveId).toMatch(/^(CVE|TVM)-/);
    await db.store.db
      .updateTable('connectors')
      .set({ cloud: 'custom' })
      .where('id', '=', connectorId)
      .execute();
  });

  it('keeps host risk current after a delta sync', async () => {
    await sim.advanceHours(30);
    const result = await sync(db.store, sim, 'delta');
    expect(result.state).toBe('succeeded');
    await expectHostRiskMatches();
  });

  it('a rescore under another scoring map leaves every host at the risk its new scores give', async () => {
    const levels = async () =>
      (await db.store.db.selectFrom('hosts').select(['id', 'riskScore']).execute())
        .map((h) => `${h.id}:${h.riskScore}`)
        .sort();
    const before = await levels();
    const maps = new ScoringMapRepository(db.store);
    const every = validateScoringMap({ rows: [], defaultSeverity: 5, defaultScore: 99 });
    await maps.set(connectorId, every, '2026-12-20T00:00:00.000Z');
    const up = await rescoreConnector(db.store, connectorId, { at: '2026-12-20T00:00:00.000Z' });
    expect(up.hostsChanged).toBeGreaterThan(50);
    await expectHostRiskMatches();
    await maps.reset(connectorId);
    await rescoreConnector(db.store, connectorId, { at: '2026-12-21T00:00:00.000Z' });
    await expectHostRiskMatches();
    expect(await levels()).toEqual(before);
  });
});

describe.each(STORE_KINDS)('host risk after partial and failed runs (%s)', (kind) => {
  let sim: TestSimulator;
  let db: TestStore;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 60, seed: 5 });
    db = await openTestStore(kind);
    await addConnector(db.store, sim, { maxRetries: 1 });
    expect((await sync(db.store, sim, 'full')).state).toBe('succeeded');
  });
  afterAll(async () => {
    await db?.drop();
    await sim?.close();
  });

  const sentinelCount = async () =>
    (await db.store.db.selectFrom('hosts').select('id').where('riskScore', '=', -1).execute()).length;

  it('a failed run leaves host risk alone; a partial run recomputes it', async () => {
    const hosts = (await db.store.db.selectFrom('hosts').select('id').execute()).length;
    await db.store.db.updateTable('hosts').set({ riskScore: -1 }).execute();

    await sim.fault({ kind: '5xx', path: '/api/machines', param: 500 });
    expect((await sync(db.store, sim, 'full')).state).toBe('failed');
    expect(await sentinelCount()).toBe(hosts);
    await sim.admin('DELETE', '/faults');

    await sim.fault({ kind: '5xx', path: '/api/alerts', param: 500 });
    const partial = await sync(db.store, sim, 'full');
    await sim.admin('DELETE', '/faults');
    expect(partial.state).toBe('partial');
    expect(partial.counters.alerts?.outcome).toBe('failed');
    expect(await sentinelCount()).toBe(0);
  });
});
