import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectFindings } from '../../src/store/findings/finding-repository.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, sync } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS } from '../helpers/test-stores.js';

describe.each(STORE_KINDS)('which devices a connector keeps (%s)', (kind) => {
  let sim: TestSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 400, seed: 21 });
  });
  afterAll(() => sim.close());

  it('a stale threshold leaves out devices that have not checked in, and their findings', async () => {
    const db = await openTestStore(kind);
    try {
      const c = await addConnector(db.store, sim, {
        staleDays: 14,
        dataTypes: ['machines', 'vulnerabilities', 'installed-software'],
      });
      const result = await sync(db.store, sim, 'full');
      expect(result.state).toBe('succeeded');
      const now = sim.sim.state.clock.now();
      const machines = await sim.truthRows('machines');
      const fresh = machines.filter((m) => now - Date.parse(m.lastSeen as string) <= 14 * 86_400_000);
      expect(fresh.length).toBeLessThan(machines.length);
      const stored = await db.store.db
        .selectFrom('hostSources')
        .select('machineId')
        .where('connectorId', '=', c.id)
        .execute();
      expect(stored.map((s) => s.machineId).sort()).toEqual(fresh.map((m) => String(m.id)).sort());
      const kept = new Set(fresh.map((m) => String(m.id)));
      const findings = await selectFindings(db.store).select('machineId').distinct().execute();
      expect(findings.every((f) => kept.has(f.machineId))).toBe(true);
      expect(result.counters.machines!.leftOut).toEqual({
        'new devices not seen for more than 14 days (--stale-days 14)': machines.length - fresh.length,
      });
      // Their installed software stays out too, and the summary can say how much and why.
      const installed = await db.store.db
        .selectFrom('installedSoftware')
        .select('machineId')
        .distinct()
        .where('connectorId', '=', c.id)
        .execute();
      expect(installed.length).toBeGreaterThan(0);
      expect(installed.every((r) => kept.has(r.machineId))).toBe(true);
      const software = result.counters['installed-software']!;
      const leftOut = Object.values(software.leftOut ?? {}).reduce((a, b) => a + b, 0);
      const storedSoftware = await db.store.db
        .selectFrom('installedSoftware')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('connectorId', '=', c.id)
        .executeTakeFirstOrThrow();
      expect(leftOut + Number(storedSoftware.n)).toBeLessThanOrEqual(software.fetched);
    } finally {
      await db.drop();
    }
  });

  it('devices never scanned are marked, and excluded when include-unscanned is off', async () => {
    const db = await openTestStore(kind);
    try {
      await addConnector(db.store, sim, { includeUnscanned: false });
      const result = await sync(db.store, sim, 'full');
      expect(result.state).toBe('succeeded');
      const scannedIds = new Set(
        (await sim.truthRows('vulnerabilities')).map((r) => String(r.deviceId).toLowerCase()),
      );
      const sources = await db.store.db
        .selectFrom('hostSources')
        .innerJoin('hosts', 'hosts.id', 'hostSources.hostId')
        .select(['hostSources.machineId', 'hostSources.vulnerabilityDataState', 'hosts.status'])
        .execute();
      const unscanned = sources.filter((s) => !scannedIds.has(s.machineId));
      expect(unscanned.length).toBeGreaterThan(0);
      expect(
        unscanned.every((s) => s.vulnerabilityDataState === 'unscanned' && s.status === 'excluded'),
      ).toBe(true);
      expect(
        sources.filter((s) => scannedIds.has(s.machineId)).every((s) => s.vulnerabilityDataState === 'ok'),
      ).toBe(true);
    } finally {
      await db.drop();
    }
  });

  it('records MDE merged fold into their survivor: one host, two sources, findings on the survivor', async () => {
    const db = await openTestStore(kind);
    try {
      await addConnector(db.store, sim);
      await sync(db.store, sim, 'full');
      const machines = await sim.truthRows('machines');
      const merged = machines.filter((m) => m.mergedIntoMachineId);
      expect(merged.length).toBeGreaterThan(0);
      for (const m of merged) {
        const [record, survivor] = await Promise.all([
          db.store.db
            .selectFrom('hostSources')
            .select('hostId')
            .where('machineId', '=', String(m.id))
            .executeTakeFirstOrThrow(),
          db.store.db
            .selectFrom('hostSources')
            .select('hostId')
            .where('machineId', '=', String(m.mergedIntoMachineId).toLowerCase())
            .executeTakeFirst(),
        ]);
        if (survivor) expect(record.hostId).toBe(survivor.hostId);
      }
      const statuses = await db.store.db
        .selectFrom('hosts')
        .select('status')
        .where('status', '=', 'merged')
        .execute();
      expect(statuses.length).toBeGreaterThan(0);
    } finally {
      await db.drop();
    }
  });

  it('a tag filter keeps only tagged devices', async () => {
    const db = await openTestStore(kind);
    try {
      const machines = await sim.truthRows('machines');
      const tag = (machines.find((m) => (m.machineTags as string[]).length > 0)!.machineTags as string[])[0]!;
      await addConnector(db.store, sim, { tags: [tag], dataTypes: ['machines', 'installed-software'] });
      const result = await sync(db.store, sim, 'full');
      const stored = await db.store.db.selectFrom('hostSources').select('machineId').execute();
      const expected = machines.filter((m) =>
        (m.machineTags as string[]).some((t) => t.toLowerCase() === tag.toLowerCase()),
      );
      expect(stored.length).toBe(expected.length);
      // The untagged devices' installed software is left out, and counted as such.
      const kept = new Set(stored.map((s) => s.machineId));
      const installed = await db.store.db.selectFrom('installedSoftware').select('machineId').execute();
      expect(installed.length).toBeGreaterThan(0);
      expect(installed.every((r) => kept.has(r.machineId))).toBe(true);
      expect(
        result.counters['installed-software']!.leftOut?.[
          'on devices left out by --stale-days, --tags, --filter or --initial-lookback-days'
        ],
      ).toBeGreaterThan(0);
    } finally {
      await db.drop();
    }
  });
});
