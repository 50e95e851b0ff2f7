import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConnectorOptions } from '../../src/normalize/connector-options.js';
import { ConnectorRepository } from '../../src/store/connectors/connector-repository.js';
import { selectFindings } from '../../src/store/findings/finding-repository.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, openFindingKeys, sync, TEST_SECRETS } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

const DAY_MS = 86_400_000;

describe.each(STORE_KINDS)('connector options acting on a sync (%s)', (kind) => {
  let sim: TestSimulator;
  let db: TestStore;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 300, seed: 33 });
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    db = await openTestStore(kind);
  });
  afterEach(() => db.drop());

  const storedMachineIds = async (connectorId: number) =>
    (
      await db.store.db
        .selectFrom('hostSources')
        .select('machineId')
        .where('connectorId', '=', connectorId)
        .execute()
    )
      .map((r) => r.machineId)
      .sort();

  it('--initial-lookback-days bounds the first run to devices seen within it, and not later runs', async () => {
    const c = await addConnector(db.store, sim, {
      initialLookbackDays: 30,
      dataTypes: ['machines', 'vulnerabilities', 'alerts'],
    });
    const first = await sync(db.store, sim, 'full');
    expect(first.state).toBe('succeeded');
    const now = sim.sim.state.clock.now();
    const machines = await sim.truthRows('machines');
    const recent = machines.filter((m) => Date.parse(m.lastSeen as string) >= now - 30 * DAY_MS);
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.length).toBeLessThan(machines.length);
    expect(await storedMachineIds(c.id)).toEqual(recent.map((m) => String(m.id)).sort());
    expect(first.counters.machines!.leftOut).toEqual({
      'devices not seen in the 30 days before the first sync (--initial-lookback-days)':
        machines.length - recent.length,
    });
    // Only their findings and alerts come in.
    const kept = new Set(recent.map((m) => String(m.id)));
    const findings = await selectFindings(db.store).select('machineId').distinct().execute();
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => kept.has(f.machineId))).toBe(true);
    const alerts = await db.store.db.selectFrom('alerts').select('machineId').execute();
    expect(alerts.every((a) => a.machineId !== null && kept.has(a.machineId))).toBe(true);

    const later = await sync(db.store, sim, 'full');
    expect(later.state).toBe('succeeded');
    expect(later.counters.machines!.leftOut ?? {}).toEqual({});
    expect(await storedMachineIds(c.id)).toEqual(machines.map((m) => String(m.id)).sort());
  }, 120_000);

  it('left unset, the first run reads every device', async () => {
    const c = await addConnector(db.store, sim, { dataTypes: ['machines'] });
    expect(c.options.initialLookbackDays).toBeUndefined();
    expect((await sync(db.store, sim, 'full')).state).toBe('succeeded');
    expect(await storedMachineIds(c.id)).toHaveLength((await sim.truthRows('machines')).length);
  });

  it('a vulnerability-definition filter reads only the definitions it matches', async () => {
    const filter = 'cvssV3 ge 7.5';
    await addConnector(db.store, sim, {
      dataTypes: ['machines', 'vulnerability-definitions'],
      vulnerabilityDefinitionFilter: filter,
    });
    const result = await sync(db.store, sim, 'full');
    expect(result.state).toBe('succeeded');
    const all = (await sim.allPages('/api/vulnerabilities')).rows;
    const wanted = all.filter((v) => typeof v.cvssV3 === 'number' && v.cvssV3 >= 7.5);
    expect(wanted.length).toBeGreaterThan(0);
    expect(wanted.length).toBeLessThan(all.length);
    const stored = await db.store.db.selectFrom('vulnerabilityDefinitions').select('id').execute();
    expect(stored.map((r) => r.id).sort()).toEqual(wanted.map((v) => String(v.id)).sort());
    expect(result.counters['vulnerability-definitions']!.note).toContain(filter);
  });

  it('--vulnerability-status open keeps open findings only; the default keeps fixed ones too', async () => {
    const c = await addConnector(db.store, sim, { dataTypes: ['machines', 'vulnerabilities'] });
    expect(c.options.vulnerabilityStatus).toEqual(['open', 'fixed']);
    expect((await sync(db.store, sim, 'full')).state).toBe('succeeded');
    await sim.advanceHours(24);
    expect((await sync(db.store, sim, 'full')).state).toBe('succeeded');
    const countFixed = async () =>
      Number(
        (
          await db.store.db
            .selectFrom('findings')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('status', '=', 'fixed')
            .executeTakeFirstOrThrow()
        ).n,
      );
    const fixed = await countFixed();
    expect(fixed).toBeGreaterThan(0);
    const open = await openFindingKeys(db.store, c.id);

    await new ConnectorRepository(db.store, TEST_SECRETS).update(c.id, {
      options: parseConnectorOptions({ ...c.options, vulnerabilityStatus: ['open'] }),
    });
    await sim.advanceHours(24);
    const result = await sync(db.store, sim, 'full');
    expect(result.state).toBe('succeeded');
    expect(await countFixed()).toBe(0);
    const removed = /(\d+) fixed findings removed \(--vulnerability-status open\)/.exec(
      result.counters.vulnerabilities!.note ?? '',
    );
    expect(Number(removed?.[1])).toBeGreaterThanOrEqual(fixed);
    // Open findings are untouched by the option.
    expect((await openFindingKeys(db.store, c.id)).length).toBeGreaterThan(0);
    expect(open.length).toBeGreaterThan(0);
  }, 180_000);
});
