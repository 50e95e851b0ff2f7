import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, openFindingKeys, sync, truthFindingKeys } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

/** machine id → lastSeen (epoch ms) as the store holds it and as the tenant says. */
async function storedLastSeen(db: TestStore): Promise<Map<string, number>> {
  const rows = await db.store.db.selectFrom('hostSources').select(['machineId', 'lastSeen']).execute();
  return new Map(rows.map((r) => [r.machineId, Date.parse(r.lastSeen ?? '')]));
}
async function truthLastSeen(sim: TestSimulator): Promise<Map<string, number>> {
  const rows = await sim.truthRows('machines');
  return new Map(rows.map((r) => [String(r.id).toLowerCase(), Date.parse(String(r.lastSeen))]));
}

describe.each(STORE_KINDS)('which devices a run reads (%s)', (kind) => {
  let sim: TestSimulator;
  let db: TestStore;
  let connectorId: number;
  let devices: number;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 300, seed: 23 });
    db = await openTestStore(kind);
    connectorId = (await addConnector(db.store, sim, { dataTypes: ['machines', 'vulnerabilities'] })).id;
    devices = (await sim.truthRows('machines')).length;
  });
  afterAll(async () => {
    await db?.drop();
    await sim?.close();
  });

  it('a full sync reads every device', async () => {
    const result = await sync(db.store, sim, 'full');
    expect(result.state).toBe('succeeded');
    expect(result.counters.machines!.fetched).toBe(devices);
  });

  it('a delta between sweeps reads only devices whose lastSeen moved, and the store still matches', async () => {
    await sim.advanceHours(6);
    const result = await sync(db.store, sim, 'delta');
    expect(result.mode).toBe('delta');
    expect(result.state).toBe('succeeded');
    const m = result.counters.machines!;
    expect(m.note).toMatch(/lastSeen moved since/);
    expect(m.fetched).toBeGreaterThan(0);
    expect(m.fetched).toBeLessThan(devices / 2);
    // Devices not read did not report: every stored lastSeen is still the tenant's.
    expect(await storedLastSeen(db)).toEqual(await truthLastSeen(sim));
    expect(await openFindingKeys(db.store, connectorId)).toEqual(await truthFindingKeys(sim));
  });

  it('once the last sweep is a day old, a delta reads every device again', async () => {
    await sim.advanceHours(19);
    const result = await sync(db.store, sim, 'delta');
    expect(result.mode).toBe('delta');
    // The tenant onboards devices as time passes: every one it has now.
    expect(result.counters.machines!.fetched).toBe((await sim.truthRows('machines')).length);
    expect(result.counters.machines!.note ?? '').not.toMatch(/lastSeen moved/);
    expect(await storedLastSeen(db)).toEqual(await truthLastSeen(sim));
  });
});
