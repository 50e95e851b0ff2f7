import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportKind } from '../../src/export/export-kinds.js';
import { readRecords } from '../../src/export/read-records.js';
import { storeSummary } from '../../src/store/connectors/store-summary.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, sync } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS } from '../helpers/test-stores.js';

/** Counts of `field` over what `mdec export KIND --connector` writes. */
async function exported(
  store: Parameters<typeof readRecords>[0],
  kind: ExportKind,
  connectorId: number,
  where: (r: Record<string, unknown>) => boolean = () => true,
) {
  const rows: Record<string, unknown>[] = [];
  for await (const r of readRecords(store, kind, { connectorId })) if (where(r)) rows.push(r);
  return rows;
}
function tally(rows: Record<string, unknown>[], field: string, none = 'unknown') {
  const out: Record<string, number> = {};
  for (const r of rows) {
    const k = String(r[field] ?? none);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** The "What landed" summary of `mdec demo` and `mdec sync`, against the exports and the truth. */
describe.each(STORE_KINDS)('store summary (%s)', (kind) => {
  let sim: TestSimulator;
  beforeAll(async () => {
    // A tenant with records Defender merged into others, and excluded devices.
    sim = await startTestSimulator({ devices: 300, seed: 1 });
  });
  afterAll(() => sim.close());

  it('counts exactly what the exports of the connector hold', async () => {
    const db = await openTestStore(kind);
    try {
      const c = await addConnector(db.store, sim, { staleDays: 30 });
      // Another connector of the same tenant shares the hosts; its merged hosts are its own.
      const other = await addConnector(db.store, sim, {}, 'other');
      expect((await sync(db.store, sim, 'full')).state).toBe('succeeded');
      expect((await sync(db.store, sim, 'full', 'other')).state).toBe('succeeded');
      const otherHosts = await exported(db.store, 'hosts', other.id);
      expect((await storeSummary(db.store, other.id)).hosts).toEqual(tally(otherHosts, 'status'));
      const summary = await storeSummary(db.store, c.id);

      const hosts = await exported(db.store, 'hosts', c.id);
      expect(summary.hosts).toEqual(tally(hosts, 'status'));
      expect(summary.hosts.merged).toBeGreaterThan(0);
      expect(summary.hostsByRiskLevel).toEqual(tally(hosts, 'riskLevel', 'unrated'));
      // Every host the connector reports has a risk level; merged hosts have none.
      expect(summary.hostsByRiskLevel.unrated ?? 0).toBe(summary.hosts.merged);

      const findings = await exported(db.store, 'findings', c.id);
      expect(summary.openFindingsBySeverity).toEqual(
        tally(
          findings.filter((f) => f.status === 'open'),
          'severity',
        ),
      );
      expect(summary.fixedFindings).toBe(findings.filter((f) => f.status === 'fixed').length);
      expect(summary.alertsBySeverity).toEqual(tally(await exported(db.store, 'alerts', c.id), 'severity'));
      expect(summary.vulnerabilityDefinitions).toBe(
        (await exported(db.store, 'vulnerabilities', c.id)).length,
      );
      expect(summary.installedSoftware).toBe((await exported(db.store, 'installed-software', c.id)).length);
      expect(summary.recommendations).toBe((await exported(db.store, 'recommendations', c.id)).length);
      expect(summary.profiles).toBe((await exported(db.store, 'profiles', c.id)).length);
      expect(summary.profiles).toBeGreaterThan(0);

      // Open findings are the simulator's vulnerabilities of the devices imported.
      const truth = (await sim.truthRows('vulnerabilities')).filter((r) => r.cveId);
      const imported = new Set(
        (
          await db.store.db
            .selectFrom('hostSources')
            .select('machineId')
            .where('connectorId', '=', c.id)
            .execute()
        ).map((s) => s.machineId),
      );
      const keys = new Set(
        truth
          .filter((r) => imported.has(String(r.deviceId).toLowerCase()))
          .map((r) =>
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
    } finally {
      await db.drop();
    }
  });

  it('exports a merged host with its connector, its Defender fields and the host it went into', async () => {
    const db = await openTestStore(kind);
    try {
      const c = await addConnector(db.store, sim);
      expect((await sync(db.store, sim, 'full')).state).toBe('succeeded');
      const hosts = await exported(db.store, 'hosts', c.id);
      const byId = new Map(hosts.map((h) => [h.id, h]));
      const merged = hosts.filter((h) => h.status === 'merged');
      expect(merged.length).toBeGreaterThan(0);
      for (const h of merged) {
        expect(h.connectorId).toBe(c.id);
        expect(typeof h.defenderMachineId).toBe('string');
        expect(typeof h.defenderMergedIntoMachineId).toBe('string');
        // The survivor is exported too, and reports the record this host was merged into.
        const survivor = byId.get(h.mergedIntoHostId);
        expect(survivor, String(h.name)).toBeDefined();
        expect(survivor!.status).not.toBe('merged');
        expect(survivor!.defenderMachineId).toBe(h.defenderMergedIntoMachineId);
      }
      for (const h of hosts.filter((x) => x.status !== 'merged')) expect(h.mergedIntoHostId).toBeNull();
      // Every record has the same fields, so a CSV export (columns of the first record) loses none.
      const keys = Object.keys(hosts[0]!).sort();
      for (const h of hosts) expect(Object.keys(h).sort()).toEqual(keys);
    } finally {
      await db.drop();
    }
  });
});
