import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { selectFindings } from '../../src/store/findings/finding-repository.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, openFindingKeys, sync, truthFindingKeys } from '../helpers/sync-harness.js';
import { openTestStore, type TestStore } from '../helpers/test-stores.js';

/**
 * Reliability: under every fault the simulator can inject, nothing stored is lost,
 * nothing is closed by mistake, no row is duplicated, and the next run completes.
 */
describe('sync under faults', () => {
  let sim: TestSimulator;
  let db: TestStore;
  let connectorId: number;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 250, seed: 5, devicesPerFile: 60 });
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    await sim.admin('DELETE', '/faults');
    db = await openTestStore('sqlite');
    connectorId = (await addConnector(db.store, sim)).id;
  });
  afterEach(() => db.drop());

  async function expectNoDuplicates() {
    const dupes = await selectFindings(db.store)
      .select('findingKey')
      .groupBy('findingKey')
      .having((eb) => eb.fn.countAll(), '>', 1)
      .execute();
    expect(dupes).toEqual([]);
  }

  it.each([
    ['a 429 storm on the machine list', { kind: '429', path: '/api/machines', count: 4, param: 1 }],
    [
      'a 5xx burst on the export request',
      { kind: '5xx', path: 'SoftwareVulnerabilitiesExport', count: 3, param: 503 },
    ],
    ['connection resets on export downloads', { kind: 'reset', path: '/blob/', count: 3 }],
    ['a body cut half-way on a page', { kind: 'cut-body', path: '/api/vulnerabilities', count: 2 }],
    ['a slow export file', { kind: 'slow', path: '/blob/', count: 1, param: 300 }],
    ['token revocation mid-run', { kind: 'revoke-tokens', path: '/api/Software', count: 1 }],
    ['an expired export link', { kind: 'expired-link', path: '/blob/', count: 1 }],
    ['a truncated gzip file, once', { kind: 'truncated-gzip', path: '/blob/', count: 1 }],
  ])('%s: the run retries, completes and matches the truth', async (_name, fault) => {
    await sim.fault(fault);
    const result = await sync(db.store, sim, 'full');
    expect(result.state, JSON.stringify(result.counters)).toBe('succeeded');
    expect(await openFindingKeys(db.store, connectorId)).toEqual(await truthFindingKeys(sim));
    await expectNoDuplicates();
  });

  it('a machine list that keeps failing fails the run, and the machines stream says it failed', async () => {
    await addConnector(db.store, sim, { maxRetries: 1 }, 'impatient');
    await sim.fault({ kind: '5xx', path: '/api/machines', count: 50, param: 500 });
    const result = await sync(db.store, sim, 'full', 'impatient');
    expect(result.state).toBe('failed');
    expect(result.counters.machines?.outcome).toBe('failed');
  });

  it('counts the retries it needed', async () => {
    await sim.fault({ kind: '5xx', path: '/api/machines', count: 3, param: 500 });
    const result = await sync(db.store, sim, 'full');
    expect(result.retries).toBeGreaterThanOrEqual(3);
  });

  it('a file that stays truncated makes the run partial and closes nothing; the next run completes', async () => {
    await sync(db.store, sim, 'full');
    const before = await openFindingKeys(db.store, connectorId);
    await sim.advanceHours(24);
    await sim.fault({
      kind: 'truncated-gzip',
      path: '/blob/tvm-export/vulnerabilities/4/part-00001',
      count: 50,
    });
    const partial = await sync(db.store, sim, 'full');
    expect(partial.state).toBe('partial');
    expect(partial.counters.vulnerabilities!.outcome).toBe('partial');
    expect(partial.counters.vulnerabilities!.closed).toBe(0);
    const after = await openFindingKeys(db.store, connectorId);
    // Nothing open before was closed; new findings from the files that were read may have landed.
    expect(before.filter((k) => !after.includes(k))).toEqual([]);
    await sim.admin('DELETE', '/faults');
    const next = await sync(db.store, sim, 'full');
    expect(next.state).toBe('succeeded');
    expect(await openFindingKeys(db.store, connectorId)).toEqual(await truthFindingKeys(sim));
    await expectNoDuplicates();
  });

  it('a 0-byte export file is a broken download: downloaded again, and if it stays empty nothing is closed', async () => {
    await sync(db.store, sim, 'full');
    // Each step reads a new snapshot: an unchanged one would not be read again at all.
    await sim.advanceHours(6);
    let epoch = (await sim.admin('GET', '/clock')).epoch as number;
    await sim.fault({
      kind: 'empty-file',
      path: `/blob/tvm-export/vulnerabilities/${epoch}/part-00000`,
      count: 1,
    });
    const once = await sync(db.store, sim, 'full');
    expect(once.state).toBe('succeeded');
    expect(await openFindingKeys(db.store, connectorId)).toEqual(await truthFindingKeys(sim));
    const before = await openFindingKeys(db.store, connectorId);
    await sim.advanceHours(6);
    epoch = (await sim.admin('GET', '/clock')).epoch as number;
    await sim.fault({
      kind: 'empty-file',
      path: `/blob/tvm-export/vulnerabilities/${epoch}/part-00000`,
      count: 50,
    });
    const always = await sync(db.store, sim, 'full');
    expect(always.state).toBe('partial');
    expect(always.counters.vulnerabilities!.closed).toBe(0);
    const after = new Set(await openFindingKeys(db.store, connectorId));
    // Nothing open before was closed; findings new in the files that were read may have landed.
    expect(before.filter((k) => !after.has(k))).toEqual([]);
  });

  it('malformed records are rejected and counted, and a pass with them closes nothing wrongly', async () => {
    await sync(db.store, sim, 'full');
    await sim.fault({ kind: 'malformed-records', path: '/api/vulnerabilities', count: 1 });
    const result = await sync(db.store, sim, 'full');
    expect(result.counters['vulnerability-definitions']!.rejected).toBe(1);
    expect(Object.keys(result.counters['vulnerability-definitions']!.rejectReasons)[0]).toMatch(/^id:/);
    expect(await openFindingKeys(db.store, connectorId)).toEqual(await truthFindingKeys(sim));
  });

  it('looping, malformed and missing nextLinks never loop forever and never lose rows', async () => {
    const other = await startTestSimulator({ devices: 10_050, seed: 2 });
    const store2 = await openTestStore('sqlite');
    try {
      await addConnector(store2.store, other, { dataTypes: ['machines'] });
      for (const kind of ['loop-nextlink', 'malformed-nextlink', 'missing-nextlink']) {
        await other.fault({ kind, path: '/api/machines', count: 1 });
        const result = await sync(store2.store, other, 'full');
        expect(result.state, kind).toBe('succeeded');
        expect(result.counters.machines!.fetched, kind).toBe(10_050);
      }
      const count = await store2.store.db
        .selectFrom('hostSources')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(10_050);
    } finally {
      await store2.drop();
      await other.close();
    }
  });

  it('an app without the vulnerability permission: "not licensed", not zero vulnerabilities', async () => {
    const limited = await startTestSimulator({
      devices: 30,
      extraApps: [
        {
          clientId: '99999999-0000-4000-8000-00000000000a',
          clientSecret: 'limited-secret',
          roles: ['Machine.Read.All', 'Alert.Read.All'],
          consented: true,
        },
      ],
    });
    const store2 = await openTestStore('sqlite');
    try {
      await addConnector(
        store2.store,
        limited,
        { dataTypes: ['machines', 'vulnerabilities', 'alerts'] },
        'test',
        {
          clientId: '99999999-0000-4000-8000-00000000000a',
          clientSecret: 'limited-secret',
        },
      );
      const result = await sync(store2.store, limited, 'full');
      expect(result.state).toBe('partial');
      expect(result.counters.vulnerabilities!.outcome).toBe('not-licensed');
      expect(result.counters.alerts!.outcome).toBe('complete');
      const states = await store2.store.db
        .selectFrom('hostSources')
        .select('vulnerabilityDataState')
        .distinct()
        .execute();
      expect(states.map((s) => s.vulnerabilityDataState)).toEqual(['not-licensed']);
    } finally {
      await store2.drop();
      await limited.close();
    }
  });
});
