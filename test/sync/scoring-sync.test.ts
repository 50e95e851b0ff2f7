import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConnectorOptions } from '../../src/normalize/connector-options.js';
import {
  computeScore,
  exploitLevelOfFlags,
  exploitLevelOfText,
  type Score,
} from '../../src/normalize/scoring/scoring-formula.js';
import {
  DEFAULT_SCORING_MAP,
  type ScoringMap,
  validateScoringMap,
} from '../../src/normalize/scoring/scoring-map.js';
import { ConnectorRepository } from '../../src/store/connectors/connector-repository.js';
import { ScoringMapRepository } from '../../src/store/connectors/scoring-map-repository.js';
import { rescoreConnector } from '../../src/store/derive/rescore-connector.js';
import { selectFindings } from '../../src/store/findings/finding-repository.js';
import { createMdeClient } from '../../src/sync/mde-client-factory.js';
import { silentProgress } from '../../src/sync/progress.js';
import { runSync } from '../../src/sync/run-sync.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, sync, TEST_SECRETS, testLimiter } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

/** What the formula gives for every finding of the simulator's truth, by finding key. */
async function truthScores(
  sim: TestSimulator,
  map: ScoringMap,
  withDefinitions = true,
): Promise<Map<string, Score>> {
  const machines = new Map(
    (await sim.truthRows('machines')).map((m) => [
      String(m.id).toLowerCase(),
      m.deviceValue as string | null,
    ]),
  );
  const definitions = new Map(
    withDefinitions
      ? (await sim.allPages('/api/vulnerabilities?$top=8000')).rows.map((d) => [String(d.id), d])
      : [],
  );
  const out = new Map<string, Score>();
  for (const r of await sim.truthRows('vulnerabilities')) {
    if (!r.cveId) continue;
    const machineId = String(r.deviceId).toLowerCase();
    const d = definitions.get(String(r.cveId));
    const own = exploitLevelOfText(r.exploitabilityLevel as string | null);
    const flags = d
      ? exploitLevelOfFlags(
          d.publicExploit as boolean,
          d.exploitVerified as boolean,
          d.exploitInKit as boolean,
        )
      : 0;
    const key = [machineId, r.cveId, r.softwareVendor, r.softwareName, r.softwareVersion].join('|');
    out.set(
      key,
      computeScore(
        {
          sourceSeverity:
            (r.vulnerabilitySeverityLevel as string | null) ?? (d?.severity as string | null) ?? null,
          cvss: (r.cvssScore as number | null) ?? (d?.cvssV3 as number | null) ?? null,
          epss: (d?.epss as number | null) ?? null,
          exploitLevel: own > flags ? own : flags,
          deviceValue: machines.get(machineId) ?? null,
        },
        map,
      ),
    );
  }
  return out;
}

async function storedScores(t: TestStore, connectorId: number): Promise<Map<string, Score>> {
  const rows = await selectFindings(t.store)
    .select(['findingKey', 'severity', 'score'])
    .where('connectorId', '=', connectorId)
    .where('status', '=', 'open')
    .execute();
  return new Map(rows.map((r) => [r.findingKey, { severity: Number(r.severity), score: Number(r.score) }]));
}

/** Compares as sorted entry lists, so a failure shows the first differing findings. */
function entries(m: Map<string, Score>): Array<[string, number, number]> {
  return [...m]
    .map(([k, s]): [string, number, number] => [k, s.severity, s.score])
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

describe.each(STORE_KINDS)('scores at sync time and after a scoring-map edit (%s)', (kind) => {
  let sim: TestSimulator;
  let db: TestStore;
  let connectorId: number;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 150, seed: 23 });
    db = await openTestStore(kind);
    connectorId = (await addConnector(db.store, sim, { dataTypes: ['vulnerabilities'] })).id;
  });
  afterAll(async () => {
    await db?.drop();
    await sim?.close();
  });

  it('without definitions, a full sync scores findings from their own rows and the device value', async () => {
    const result = await sync(db.store, sim, 'full');
    expect(result.state).toBe('succeeded');
    const expected = await truthScores(sim, DEFAULT_SCORING_MAP, false);
    expect(expected.size).toBeGreaterThan(500);
    expect(entries(await storedScores(db, connectorId))).toEqual(entries(expected));
  });

  it('once definitions are synced, the findings they change are rescored after the run, with no finding re-read', async () => {
    await new ConnectorRepository(db.store, TEST_SECRETS).update(connectorId, {
      options: parseConnectorOptions({ dataTypes: ['vulnerabilities', 'vulnerability-definitions'] }),
    });
    const result = await sync(db.store, sim, 'full');
    expect(result.state).toBe('succeeded');
    // The snapshot is the one already stored: the vulnerabilities stream reads nothing.
    expect(result.counters.vulnerabilities!.fetched).toBe(0);
    const expected = await truthScores(sim, DEFAULT_SCORING_MAP);
    expect(entries(await storedScores(db, connectorId))).toEqual(entries(expected));
    expect(entries(expected)).not.toEqual(entries(await truthScores(sim, DEFAULT_SCORING_MAP, false)));
    // The inputs really vary: several severities and many distinct scores.
    const values = [...expected.values()];
    expect(new Set(values.map((s) => s.severity)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(values.map((s) => s.score)).size).toBeGreaterThan(20);
  });

  it('after the tenant changes (exploits, CVSS revisions), a delta sync leaves every stored score right', async () => {
    await sim.advanceHours(30);
    const result = await sync(db.store, sim, 'auto');
    expect(result.mode).toBe('delta');
    expect(result.state).toBe('succeeded');
    expect(entries(await storedScores(db, connectorId))).toEqual(
      entries(await truthScores(sim, DEFAULT_SCORING_MAP)),
    );
  });

  it('a scoring-map edit rescores the stored findings without a sync', async () => {
    const runsBefore = await db.store.db.selectFrom('syncRuns').select('id').execute();
    const before = await storedScores(db, connectorId);
    const map = validateScoringMap({
      rows: [
        { match: 'critical', severity: 5, score: 100 },
        { match: 'HIGH', severity: 5, score: 90 },
        { match: 'Medium', severity: 2, score: 30 },
      ],
      defaultSeverity: 1,
      defaultScore: 10,
    });
    await new ScoringMapRepository(db.store).set(connectorId, map, new Date().toISOString());
    const result = await rescoreConnector(db.store, connectorId, { at: new Date().toISOString() });
    expect(result.changed).toBeGreaterThan(0);
    const after = await storedScores(db, connectorId);
    expect(entries(after)).toEqual(entries(await truthScores(sim, map)));
    expect(entries(after)).not.toEqual(entries(before));
    expect(await db.store.db.selectFrom('syncRuns').select('id').execute()).toEqual(runsBefore);
  });

  it('the next sync writes new findings with the edited map too', async () => {
    await sim.advanceHours(30);
    const result = await sync(db.store, sim, 'full');
    expect(result.state).toBe('succeeded');
    const { map } = await new ScoringMapRepository(db.store).get(connectorId);
    expect(entries(await storedScores(db, connectorId))).toEqual(entries(await truthScores(sim, map)));
  });

  it('a map edited while a sync writes findings: the run rescores them all with the new map', async () => {
    await sim.advanceHours(30);
    const repo = new ScoringMapRepository(db.store);
    const map = validateScoringMap({ rows: [{ match: 'Low', severity: 4, score: 70 }], defaultSeverity: 1 });
    let edit: Promise<void> | undefined;
    const limiter = testLimiter();
    const result = await runSync(
      {
        store: db.store,
        secrets: TEST_SECRETS,
        createClient: (c, creds, signal) => createMdeClient(c, creds, { limiter }, signal),
        now: () => new Date(sim.sim.state.clock.now()),
        progress: {
          ...silentProgress,
          start(stream) {
            // As `mdec scoring set` from another terminal would, once the run has its scorer.
            if (stream === 'vulnerabilities') edit = repo.set(connectorId, map, new Date().toISOString());
          },
        },
      },
      { connector: 'test', mode: 'full' },
    );
    expect(result.state).toBe('succeeded');
    expect(
      result.counters.vulnerabilities!.inserted + result.counters.vulnerabilities!.updated,
    ).toBeGreaterThan(0);
    await edit;
    expect(entries(await storedScores(db, connectorId))).toEqual(entries(await truthScores(sim, map)));
  });
});
