import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectFindings } from '../../src/store/findings/finding-repository.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, openFindingKeys, sync, truthFindingKeys } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

describe.each(STORE_KINDS)("sync against the simulator's ground truth (%s)", (kind) => {
  let sim: TestSimulator;
  let db: TestStore;
  let connectorId: number;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 300, seed: 11 });
    db = await openTestStore(kind);
    connectorId = (await addConnector(db.store, sim)).id;
  });
  afterAll(async () => {
    await db?.drop();
    await sim?.close();
  });

  it('a first full sync stores exactly the findings the tenant holds, and every stream completes', async () => {
    const result = await sync(db.store, sim, 'auto');
    expect(result.mode).toBe('full');
    expect(result.state).toBe('succeeded');
    for (const [name, c] of Object.entries(result.counters)) expect(c.outcome, name).toBe('complete');
    const truth = await truthFindingKeys(sim);
    expect(truth.length).toBeGreaterThan(1000);
    expect(await openFindingKeys(db.store, connectorId)).toEqual(truth);
    const machines = await sim.truthRows('machines');
    expect(result.counters.machines!.fetched).toBe(machines.length);
    const hostSources = await db.store.db.selectFrom('hostSources').select('machineId').execute();
    expect(hostSources.length).toBe(machines.length);
    expect(result.apiCalls).toBeLessThan(30);
  });

  it('a re-sync of the same snapshot does not read it again, and changes nothing', async () => {
    const result = await sync(db.store, sim, 'full');
    const v = result.counters.vulnerabilities!;
    expect(result.state).toBe('succeeded');
    expect(v.note).toMatch(/unchanged since the last full sync/);
    expect(v.fetched + v.inserted + v.updated + v.closed).toBe(0);
    expect(await openFindingKeys(db.store, connectorId)).toEqual(await truthFindingKeys(sim));
  });

  it('a changed device filter makes the same snapshot be read again; unchanged rows are not rewritten', async () => {
    const { ConnectorRepository } = await import('../../src/store/connectors/connector-repository.js');
    const { TEST_SECRETS } = await import('../helpers/sync-harness.js');
    const { parseConnectorOptions } = await import('../../src/normalize/connector-options.js');
    const repo = new ConnectorRepository(db.store, TEST_SECRETS);
    await repo.update(connectorId, {
      options: parseConnectorOptions({
        vulnerabilitySeverity: ['Low', 'Medium', 'High', 'Critical'],
      }),
    });
    const result = await sync(db.store, sim, 'full');
    const v = result.counters.vulnerabilities!;
    expect(v.note ?? '').not.toMatch(/unchanged since/);
    expect(v.inserted + v.updated + v.closed).toBe(0);
    expect(v.unchanged).toBe((await truthFindingKeys(sim)).length);
  });

  it('after the clock moves, a delta sync makes the store match the new snapshot', async () => {
    await sim.advanceHours(18);
    const result = await sync(db.store, sim, 'auto');
    expect(result.mode).toBe('delta');
    expect(result.state).toBe('succeeded');
    const v = result.counters.vulnerabilities!;
    expect(v.inserted + v.closed).toBeGreaterThan(0);
    expect(await openFindingKeys(db.store, connectorId)).toEqual(await truthFindingKeys(sim));
  });

  it('a later full sync agrees with the delta and closes nothing by mistake', async () => {
    const before = await openFindingKeys(db.store, connectorId);
    const result = await sync(db.store, sim, 'full');
    expect(result.state).toBe('succeeded');
    expect(result.counters.vulnerabilities!.closed).toBe(0);
    expect(result.counters.vulnerabilities!.inserted).toBe(0);
    expect(await openFindingKeys(db.store, connectorId)).toEqual(before);
  });

  it('fixed findings carry lastFixed and come back as reopened when they return', async () => {
    await sim.advanceHours(24);
    await sync(db.store, sim, 'full');
    expect(await openFindingKeys(db.store, connectorId)).toEqual(await truthFindingKeys(sim));
    const fixed = await selectFindings(db.store)
      .select(['lastFixed', 'status'])
      .where('status', '=', 'fixed')
      .execute();
    expect(fixed.length).toBeGreaterThan(0);
    expect(fixed.every((f) => typeof f.lastFixed === 'string')).toBe(true);
    const dupes = await selectFindings(db.store)
      .select(['findingKey'])
      .groupBy('findingKey')
      .having((eb) => eb.fn.countAll(), '>', 1)
      .execute();
    expect(dupes).toEqual([]);
  });

  it('the JSON source gives the same findings as the export files', async () => {
    const other = await openTestStore(kind);
    try {
      const c = await addConnector(other.store, sim, { vulnerabilitySource: 'json' });
      const result = await sync(other.store, sim, 'full');
      expect(result.state).toBe('succeeded');
      expect(await openFindingKeys(other.store, c.id)).toEqual(await truthFindingKeys(sim));
    } finally {
      await other.drop();
    }
  });
});
