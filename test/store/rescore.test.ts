import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileScorer } from '../../src/normalize/scoring/compile-scorer.js';
import {
  computeScore,
  exploitLevelOfFlags,
  exploitLevelOfText,
} from '../../src/normalize/scoring/scoring-formula.js';
import { DEFAULT_SCORING_MAP, validateScoringMap } from '../../src/normalize/scoring/scoring-map.js';
import { ConnectorRepository } from '../../src/store/connectors/connector-repository.js';
import { ScoringMapRepository } from '../../src/store/connectors/scoring-map-repository.js';
import type { Store } from '../../src/store/db/store.js';
import { rescoreFindings } from '../../src/store/derive/finding-rescorer.js';
import { rescoreConnector } from '../../src/store/derive/rescore-connector.js';
import { loadScoringContext } from '../../src/store/derive/scoring-inputs.js';
import { selectFindings } from '../../src/store/findings/finding-repository.js';
import { insertFindingRecords } from '../helpers/finding-records.js';
import { addOfflineConnector } from '../helpers/offline-connector.js';
import { TEST_SECRETS } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

const T0 = '2026-11-01T00:00:00.000Z';
const MACHINES: Array<[string, string | null]> = [
  ['m-low', 'Low'],
  ['m-normal', 'Normal'],
  ['m-high', 'High'],
  ['m-null', null],
];
const DEFINITIONS = [
  {
    id: 'CVE-1',
    cvssV3: 9.8,
    severity: 'Critical',
    epss: 0.5,
    publicExploit: 1,
    exploitVerified: 1,
    exploitInKit: 1,
  },
  {
    id: 'CVE-2',
    cvssV3: null,
    severity: 'Low',
    epss: null,
    publicExploit: 0,
    exploitVerified: 0,
    exploitInKit: 0,
  },
  {
    id: 'CVE-3',
    cvssV3: 6.1,
    severity: 'Medium',
    epss: 0.02,
    publicExploit: 1,
    exploitVerified: 0,
    exploitInKit: 0,
  },
];
const SEVERITIES = ['Critical', 'High', 'Medium', 'Low', ' high ', null, 'Weird'];
const EXPLOITS = ['NoExploit', 'ExploitIsPublic', 'ExploitIsVerified', 'ExploitIsInKit', null];
const CVES = ['CVE-1', 'CVE-2', 'CVE-3', 'TVM-4'];

const connector = (store: Store, name: string) => addOfflineConnector(store, name, {}, 'default');

/** A spread of findings over every combination of inputs, stored with a placeholder score. */
async function seed(store: Store, connectorId: number, count: number): Promise<void> {
  for (const [machineId, deviceValue] of MACHINES) {
    const host = await store.db
      .insertInto('hosts')
      .values({
        identityKey: `mde:${connectorId}:${machineId}`,
        name: machineId,
        status: 'active',
        network: 'default',
        tags: '[]',
        ipAddresses: '[]',
        macAddresses: '[]',
        customAttributes: '{}',
        createdAt: T0,
        updatedAt: T0,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await store.db
      .insertInto('hostSources')
      .values({
        hostId: Number(host.id),
        connectorId,
        machineId,
        deviceValue,
        source: 'Defender',
        machineTags: '[]',
        ipAddresses: '[]',
        vulnerabilityDataState: 'unknown',
        extra: '{}',
        contentHash: '',
        seenRunId: 0,
        updatedAt: T0,
      })
      .execute();
  }
  await store.db
    .insertInto('vulnerabilityDefinitions')
    .values(
      DEFINITIONS.map((d) => ({
        ...d,
        connectorId,
        exploitTypes: '[]',
        exploitUris: '[]',
        tags: '[]',
        extra: '{}',
        contentHash: '',
        seenRunId: 0,
        updatedAt: T0,
      })),
    )
    .execute();
  const rows = [];
  for (let i = 0; i < count; i++) {
    const machineId = MACHINES[i % MACHINES.length]![0];
    const cveId = CVES[Math.floor(i / 4) % CVES.length]!;
    rows.push({
      connectorId,
      machineId,
      findingKey: `${machineId}|${cveId}|v|p|${i}`,
      cveId,
      softwareVendor: 'v',
      softwareName: 'p',
      softwareVersion: String(i),
      name: `v p ${i} ${cveId}`,
      sourceSeverity: SEVERITIES[i % SEVERITIES.length]!,
      severity: 1,
      score: 0,
      status: i % 9 === 0 ? ('fixed' as const) : ('open' as const),
      firstFound: T0,
      lastFound: T0,
      stateTime: T0,
      exploitabilityLevel: EXPLOITS[i % EXPLOITS.length]!,
      cvssScore: i % 3 === 0 ? null : (i % 101) / 10,
      reopenedCount: 0,
      diskPaths: '[]',
      registryPaths: '[]',
      extra: '{}',
      customAttributes: '{}',
      contentHash: '',
      seenRunId: 0,
      updatedAt: T0,
    });
  }
  await insertFindingRecords(store, rows);
}

/** The formula applied by hand to a stored finding, independent of the compiled scorer. */
async function expectedScores(store: Store, connectorId: number, map = DEFAULT_SCORING_MAP) {
  const findings = await selectFindings(store).selectAll().where('connectorId', '=', connectorId).execute();
  return new Map(
    findings.map((f) => {
      const d = DEFINITIONS.find((x) => x.id === f.cveId);
      const own = exploitLevelOfText(f.exploitabilityLevel);
      const flags = d ? exploitLevelOfFlags(d.publicExploit, d.exploitVerified, d.exploitInKit) : 0;
      const s = computeScore(
        {
          sourceSeverity: f.sourceSeverity ?? d?.severity ?? null,
          cvss: f.cvssScore ?? d?.cvssV3 ?? null,
          epss: d?.epss ?? null,
          exploitLevel: own > flags ? own : flags,
          deviceValue: MACHINES.find(([m]) => m === f.machineId)![1],
        },
        map,
      );
      return [f.findingKey, s] as const;
    }),
  );
}

async function stored(store: Store, connectorId: number) {
  const rows = await selectFindings(store)
    .select(['findingKey', 'severity', 'score', 'updatedAt'])
    .where('connectorId', '=', connectorId)
    .execute();
  return new Map(
    rows.map((r) => [
      r.findingKey,
      { severity: Number(r.severity), score: Number(r.score), updatedAt: r.updatedAt },
    ]),
  );
}

describe.each(STORE_KINDS)('rescoring stored findings (%s)', (kind) => {
  let t: TestStore;
  let a: number;
  let b: number;
  const COUNT = 700;
  beforeAll(async () => {
    t = await openTestStore(kind);
    a = await connector(t.store, 'a');
    b = await connector(t.store, 'b');
    await seed(t.store, a, COUNT);
    await seed(t.store, b, 50);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('a connector without a map uses the default map', async () => {
    const got = await new ScoringMapRepository(t.store).get(a);
    expect(got).toEqual({ map: DEFAULT_SCORING_MAP, custom: false, updatedAt: null });
  });

  it('rescoring stores what the formula gives for every finding, open or fixed, and only for that connector', async () => {
    const result = await rescoreConnector(t.store, a, { at: '2026-11-02T00:00:00.000Z' });
    expect(result.examined).toBe(COUNT);
    const expected = await expectedScores(t.store, a);
    const after = await stored(t.store, a);
    let changed = 0;
    for (const [key, s] of expected) {
      expect({ key, severity: after.get(key)!.severity, score: after.get(key)!.score }).toEqual({
        key,
        ...s,
      });
      if (s.severity !== 1 || s.score !== 0) {
        changed++;
        expect(after.get(key)!.updatedAt).toBe('2026-11-02T00:00:00.000Z');
      } else expect(after.get(key)!.updatedAt).toBe(T0);
    }
    expect(result.changed).toBe(changed);
    expect(changed).toBeGreaterThan(COUNT / 2);
    for (const r of (await stored(t.store, b)).values())
      expect(r).toEqual({ severity: 1, score: 0, updatedAt: T0 });
  });

  it('rescoring again changes nothing and touches nothing', async () => {
    const before = await stored(t.store, a);
    const result = await rescoreConnector(t.store, a, { at: '2026-11-03T00:00:00.000Z' });
    expect(result).toMatchObject({ examined: COUNT, changed: 0 });
    expect(await stored(t.store, a)).toEqual(before);
  });

  it('a map edit rescores without a sync: only the findings the edit affects change, and only they are touched', async () => {
    const map = validateScoringMap({
      rows: [
        { match: 'Critical', severity: 5, score: 95 },
        { match: 'High', severity: 2, score: 10 },
        { match: 'Medium', severity: 3, score: 55 },
        { match: 'Low', severity: 2, score: 25 },
        { match: 'Informational', severity: 1, score: 5 },
      ],
      defaultSeverity: 3,
      defaultScore: 55,
    });
    await new ScoringMapRepository(t.store).set(a, map, '2026-11-04T00:00:00.000Z');
    expect((await new ScoringMapRepository(t.store).get(a)).map).toEqual(map);
    const before = await stored(t.store, a);
    const result = await rescoreConnector(t.store, a, { at: '2026-11-04T00:00:00.000Z' });
    const expected = await expectedScores(t.store, a, map);
    const after = await stored(t.store, a);
    const findings = await selectFindings(t.store)
      .select(['findingKey', 'sourceSeverity'])
      .where('connectorId', '=', a)
      .execute();
    let changed = 0;
    for (const f of findings) {
      const now = after.get(f.findingKey)!;
      expect({ severity: now.severity, score: now.score }).toEqual(expected.get(f.findingKey));
      const high = f.sourceSeverity?.trim().toLowerCase() === 'high';
      if (high) {
        expect(now.severity).toBe(2);
        changed++;
        expect(now.updatedAt).toBe('2026-11-04T00:00:00.000Z');
      } else {
        expect(now).toEqual(before.get(f.findingKey));
      }
    }
    expect(result.changed).toBe(changed);
  });

  it('small batches (keyset paging) and a subset by CVE or machine give the same result', async () => {
    const { map } = await new ScoringMapRepository(t.store).get(a);
    await t.store.db
      .updateTable('findings')
      .set({ severity: 1, score: 0 })
      .where('connectorId', '=', a)
      .execute();
    const scorer = compileScorer(map, await loadScoringContext(t.store, a));
    const subset = await rescoreFindings(t.store, {
      connectorId: a,
      scorer,
      at: '2026-11-05T00:00:00.000Z',
      batchSize: 7,
      only: { cveIds: new Set(['CVE-2']), machineIds: new Set(['m-high']) },
    });
    // Only the findings of CVE-2 or on m-high were scored, so only they left the placeholder.
    const onlyRows = [...(await stored(t.store, a)).entries()].filter(
      ([, r]) => r.score !== 0 || r.severity !== 1,
    );
    expect(subset.examined).toBeGreaterThan(0);
    expect(onlyRows.length).toBe(subset.changed);
    for (const [key] of onlyRows) expect(key.startsWith('m-high|') || key.includes('|CVE-2|')).toBe(true);
    // The same subset named among thousands of unknown CVEs takes the walk over every finding
    // instead of the index reads: both ways find the same findings.
    const many = new Set(['CVE-2', ...Array.from({ length: 2_500 }, (_, i) => `CVE-X-${i}`)]);
    const walked = await rescoreFindings(t.store, {
      connectorId: a,
      scorer,
      at: '2026-11-05T00:00:00.000Z',
      batchSize: 7,
      only: { cveIds: many, machineIds: new Set(['m-high']) },
    });
    expect(walked.examined).toBe(subset.examined);
    expect(walked.changed).toBe(0);
    const all = await rescoreFindings(t.store, {
      connectorId: a,
      scorer,
      at: '2026-11-05T00:00:00.000Z',
      batchSize: 7,
    });
    expect(all.examined).toBe(COUNT);
    const expected = await expectedScores(t.store, a, map);
    for (const [key, r] of await stored(t.store, a))
      expect({ severity: r.severity, score: r.score }).toEqual(expected.get(key));
  });

  it('a write-time bound leaves findings written later alone, the same through the index reads and the walk', async () => {
    const { map } = await new ScoringMapRepository(t.store).get(a);
    const scorer = compileScorer(map, await loadScoringContext(t.store, a));
    const BOUND = '2026-11-06T00:00:00.000Z';
    const LATER = '2026-11-06T00:00:01.000Z';
    /** Every finding back to the placeholder; those of m-normal and a third of the rest written after the bound. */
    const reset = async () => {
      await t.store.db
        .updateTable('findings')
        .set({ severity: 1, score: 0, updatedAt: T0 })
        .where('connectorId', '=', a)
        .execute();
      const findings = await selectFindings(t.store)
        .select(['deviceId', 'softwareId', 'cveId', 'machineId'])
        .where('connectorId', '=', a)
        .execute();
      const later = findings.filter((f, i) => f.machineId === 'm-normal' || i % 3 === 0);
      for (const f of later)
        await t.store.db
          .updateTable('findings')
          .set({ updatedAt: LATER })
          .where('connectorId', '=', a)
          .where('deviceId', '=', f.deviceId)
          .where('softwareId', '=', f.softwareId)
          .where('cveId', '=', f.cveId)
          .execute();
      return new Set(
        [...(await stored(t.store, a)).entries()].flatMap(([k, r]) => (r.updatedAt === LATER ? [k] : [])),
      );
    };
    const run = async (cveIds: Set<string>) => {
      const later = await reset();
      const result = await rescoreFindings(t.store, {
        connectorId: a,
        scorer,
        at: '2026-11-07T00:00:00.000Z',
        writtenUpTo: BOUND,
        only: { cveIds, machineIds: new Set(['m-high', 'm-normal']) },
      });
      const rescored = [...(await stored(t.store, a)).entries()]
        .filter(([, r]) => r.updatedAt === '2026-11-07T00:00:00.000Z')
        .map(([k]) => k)
        .sort();
      return { result, later, rescored };
    };
    const targeted = await run(new Set(['CVE-2']));
    // Thousands of CVEs named take the walk over every finding instead of the index reads.
    const walked = await run(new Set(['CVE-2', ...Array.from({ length: 2_500 }, (_, i) => `CVE-X-${i}`)]));
    expect(targeted.rescored.length).toBeGreaterThan(0);
    for (const key of targeted.rescored) {
      expect(targeted.later.has(key)).toBe(false);
      expect(key.startsWith('m-high|') || key.includes('|CVE-2|')).toBe(true);
    }
    // m-normal's findings were all written after the bound: none of them is read.
    expect(targeted.rescored.some((k) => k.startsWith('m-normal|'))).toBe(false);
    expect(targeted.result).toEqual(walked.result);
    expect(targeted.rescored).toEqual(walked.rescored);
  });

  it('removing a connector removes its scoring map', async () => {
    await new ConnectorRepository(t.store, TEST_SECRETS).remove(a);
    const rows = await t.store.db
      .selectFrom('scoringMaps')
      .selectAll()
      .where('connectorId', '=', a)
      .execute();
    expect(rows).toEqual([]);
  });
});
