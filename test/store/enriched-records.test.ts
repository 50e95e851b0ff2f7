import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHostDetails } from '../../src/api/host-details.js';
import { type EndOfSupport, installOf, withEndOfSupport } from '../../src/export/finding-end-of-support.js';
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

  it("a host's details carry what the exports carry, though they read less of it", async () => {
    // A cloud with a portal, so that portal links are made.
    await t.store.db.updateTable('connectors').set({ cloud: 'commercial' }).execute();
    const exported = async (kind: 'hosts' | 'findings' | 'installed-software') => {
      const all: Record<string, unknown>[] = [];
      for await (const r of readRecords(t.store, kind)) all.push(r);
      return all;
    };
    const hosts = await exported('hosts');
    const findings = await exported('findings');
    const installed = await exported('installed-software');
    let withEndOfSupportDate = 0;
    for (const host of hosts) {
      const details = await readHostDetails(t.store, Number(host.id));
      expect(details.host).toEqual(host);
      const open = findings
        .filter((f) => f.hostId === host.id && f.status === 'open')
        .sort((a, b) => Number(b.score) - Number(a.score));
      expect(details.openFindings.items.map(({ id: _id, ...f }) => f)).toEqual(expect.arrayContaining(open));
      expect(details.openFindings.items.length).toBe(open.length);
      expect(details.installedSoftware.items).toEqual(installed.filter((i) => i.hostId === host.id));
      withEndOfSupportDate += open.filter((f) => f.endOfSupportDate !== null).length;
    }
    expect(hosts.some((h) => h.portalOverviewUrl !== null)).toBe(true);
    expect(withEndOfSupportDate).toBeGreaterThan(0);
  });

  it('end of support comes from the installs given, and is read for the others', async () => {
    const findings: Record<string, unknown>[] = [];
    for await (const r of readRecords(t.store, 'findings')) findings.push(r);
    const rows = () => findings.map((f) => ({ ...f, endOfSupportStatus: 'x', endOfSupportDate: 'x' }));
    const db = t.store.db as unknown as Parameters<typeof withEndOfSupport>[0];
    const read = await withEndOfSupport(db, rows());
    expect(read.map((r) => [r.endOfSupportStatus, r.endOfSupportDate])).toEqual(
      findings.map((f) => [f.endOfSupportStatus, f.endOfSupportDate]),
    );
    // One install given (with a value of its own, to tell it apart); every other is still read.
    const given = installOf(findings[0]!);
    const known = new Map<string, EndOfSupport>([[given, { status: 'given', date: '2030-01-01' }]]);
    const mixed = await withEndOfSupport(db, rows(), known);
    mixed.forEach((r, i) => {
      const expected =
        installOf(r) === given
          ? ['given', '2030-01-01']
          : [findings[i]!.endOfSupportStatus, findings[i]!.endOfSupportDate];
      expect([r.endOfSupportStatus, r.endOfSupportDate]).toEqual(expected);
    });
  });
});
