import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeSummary } from '../../src/store/store-summary.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, sync } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS } from '../helpers/test-stores.js';

/** The "What landed" summary of `mdec demo` and `mdec sync`, against the store and the truth. */
describe.each(STORE_KINDS)('store summary (%s)', (kind) => {
  let sim: TestSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 150, seed: 31 });
  });
  afterAll(() => sim.close());

  it('counts hosts by status and risk level, open findings by severity, and the profiles', async () => {
    const db = await openTestStore(kind);
    try {
      const c = await addConnector(db.store, sim);
      expect((await sync(db.store, sim, 'full')).state).toBe('succeeded');
      const summary = await storeSummary(db.store, c.id);
      const hosts = Object.values(summary.hosts).reduce((a, b) => a + b, 0);
      expect(hosts).toBeGreaterThan(0);
      // Every host has a risk level after a run, and the levels add up to the hosts.
      expect(Object.values(summary.hostsByRiskLevel).reduce((a, b) => a + b, 0)).toBe(hosts);
      expect(summary.hostsByRiskLevel.unknown).toBeUndefined();
      const truth = (await sim.truthRows('vulnerabilities')).filter((r) => r.cveId);
      const keys = new Set(
        truth.map((r) =>
          [
            String(r.deviceId).toLowerCase(),
            r.cveId,
            r.softwareVendor,
            r.softwareName,
            r.softwareVersion,
          ].join('|'),
        ),
      );
      expect(Object.values(summary.openFindingsBySeverity).reduce((a, b) => a + b, 0)).toBe(keys.size);
      const profiles = await db.store.db
        .selectFrom('profiles')
        .select('id')
        .where('connectorId', '=', c.id)
        .execute();
      expect(summary.profiles).toBe(profiles.length);
      expect(summary.profiles).toBeGreaterThan(0);
    } finally {
      await db.drop();
    }
  });
});
