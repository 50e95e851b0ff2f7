import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportColumns, readRecordPage, readRecords } from '../../src/export/read-records.js';
import { DATA_TYPES } from '../../src/normalize/connector-options.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, sync } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

/**
 * Records enriched with joined fields (a host's Defender fields, profiles and portal links; a
 * finding's host name and end of support), which the enrichments add to a page's rows in place:
 * every record carries its own values, under the export's columns in the export's order, whether
 * read by the export or a page at a time by the API.
 */
describe.each(STORE_KINDS)('enriched records (%s)', (storeKind) => {
  let sim: TestSimulator;
  let t: TestStore;

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 12 });
    t = await openTestStore(storeKind);
    await addConnector(t.store, sim, { dataTypes: [...DATA_TYPES] });
    expect((await sync(t.store, sim, 'full')).state).toBe('succeeded');
  });
  afterAll(async () => {
    await t?.drop();
    await sim?.close();
  });

  for (const kind of ['hosts', 'findings'] as const) {
    it(`${kind}: each record has the export's columns in order, and a page holds the same records`, async () => {
      const columns = await exportColumns(t.store, kind);
      const exported: Record<string, unknown>[] = [];
      for await (const r of readRecords(t.store, kind)) exported.push(r);
      expect(exported.length).toBeGreaterThan(1);
      for (const r of exported) expect(Object.keys(r)).toEqual(columns);

      const paged: Record<string, unknown>[] = [];
      let after: unknown[] | undefined;
      do {
        const page = await readRecordPage(t.store, kind, { limit: 5, ...(after ? { after } : {}) });
        paged.push(...page.records);
        after = page.next ?? undefined;
      } while (after);
      // A page names findings by an id of their key, which exports do not carry.
      expect(paged.map(({ id, ...rest }) => (kind === 'findings' ? rest : { id, ...rest }))).toEqual(
        exported,
      );
    });
  }

  it('each host carries its own Defender fields and portal links', async () => {
    const { records } = await readRecordPage(t.store, 'hosts', { limit: 100 });
    const sources = await t.store.db.selectFrom('hostSources').select(['hostId', 'machineId']).execute();
    const machineOf = new Map(sources.map((s) => [Number(s.hostId), s.machineId]));
    expect(records.length).toBe(machineOf.size);
    for (const h of records) {
      expect(h.defenderMachineId).toBe(machineOf.get(Number(h.id)));
      if (h.portalOverviewUrl !== null) {
        expect(String(h.portalOverviewUrl)).toContain(String(h.defenderMachineId).toLowerCase());
      }
    }
  });
});
