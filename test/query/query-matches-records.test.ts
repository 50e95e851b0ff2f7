import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_KINDS, type ExportKind } from '../../src/export/export-kinds.js';
import { QUERY_SPECS } from '../../src/export/query-fields.js';
import { readRecords } from '../../src/export/read-records.js';
import { DATA_TYPES } from '../../src/normalize/connector-options.js';
import { compileQuery } from '../../src/normalize/query/compile-query.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, sync } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';
import { generatedQuery } from './query-oracle.js';

type Row = Record<string, unknown>;

async function exported(t: TestStore, kind: ExportKind, where?: (r: Row) => boolean): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const r of readRecords(t.store, kind, where ? { where } : {})) rows.push(r);
  return rows;
}
const ids = (rows: Row[]) => rows.map((r) => String(r.id));

describe.each(STORE_KINDS)('queries over a synced tenant (%s)', (storeKind) => {
  let sim: TestSimulator;
  let t: TestStore;
  const all = {} as Record<ExportKind, Row[]>;

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 30 });
    t = await openTestStore(storeKind);
    await addConnector(t.store, sim, { dataTypes: [...DATA_TYPES] });
    expect((await sync(t.store, sim, 'full')).state).toBe('succeeded');
    // A day later some findings are fixed and some hosts changed: statuses and dates vary.
    await sim.advanceHours(24);
    expect((await sync(t.store, sim, 'full')).state).toBe('succeeded');
    for (const kind of EXPORT_KINDS) all[kind] = await exported(t, kind);
  });
  afterAll(async () => {
    await t?.drop();
    await sim?.close();
  });

  it('answers the queries users wrote, on every entity alike', async () => {
    const pick = async (kind: ExportKind, query: string) =>
      ids(await exported(t, kind, compileQuery(query, QUERY_SPECS[kind])));
    const expectSome = (kind: ExportKind, keep: (r: Row) => boolean) => {
      const expected = ids(all[kind].filter(keep));
      expect(expected.length, `${kind}: the tenant has such rows`).toBeGreaterThan(0);
      return expected;
    };

    const severeOpen = expectSome('findings', (r) => Number(r.severity) >= 4 && r.status === 'open');
    expect(await pick('findings', 'severity>=4 AND status:open')).toEqual(severeOpen);
    expect(await pick('findings', 'severity>=4 and status:open')).toEqual(severeOpen);
    expect(await pick('findings', 'severity>=high status:open')).toEqual(severeOpen);
    expect(await pick('findings', 'severity:high or severity:critical')).toEqual(
      expectSome('findings', (r) => r.severity === 4 || r.severity === 5),
    );
    expect(await pick('vulnerabilities', 'severity:high OR severity:critical')).toEqual(
      expectSome('vulnerabilities', (r) => r.severity === 'High' || r.severity === 'Critical'),
    );
    expect(await pick('alerts', 'severity>=medium')).toEqual(
      expectSome('alerts', (r) => r.severity === 'High' || r.severity === 'Medium'),
    );
    expect(await pick('hosts', 'risk>=high')).toEqual(
      expectSome('hosts', (r) => r.riskLevel === 'High' || r.riskLevel === 'Critical'),
    );

    expect(await pick('findings', 'exploit:verified')).toEqual(
      expectSome('findings', (r) => r.exploitabilityLevel === 'ExploitIsVerified'),
    );
    expect(await pick('findings', 'exploit>=verified')).toEqual(
      expectSome('findings', (r) =>
        ['ExploitIsVerified', 'ExploitIsInKit'].includes(String(r.exploitabilityLevel)),
      ),
    );
    expect(await pick('vulnerabilities', 'exploit:verified')).toEqual(
      expectSome('vulnerabilities', (r) => r.exploitMaturity === 'verified'),
    );
    expect(await pick('vulnerabilities', 'exploit>=verified')).toEqual(
      expectSome(
        'vulnerabilities',
        (r) => r.exploitMaturity === 'verified' || r.exploitMaturity === 'in-kit',
      ),
    );

    const cut = Date.parse('2026-11-01T12:00:00Z');
    const before = expectSome('findings', (r) => Date.parse(String(r.lastFound)) < cut);
    expect(await pick('findings', 'lastFound<2026-11-01T12:00:00Z')).toEqual(before);
    expect(await pick('findings', 'lastFound<2026-11-01T12:00Z')).toEqual(before);
    expect(await pick('findings', 'lastFound<2026-11-01T13:00:00.000+01:00')).toEqual(before);
    expect(await pick('findings', 'lastFound<2026-12-02T00:00:00Z')).toEqual(ids(all.findings));
  });

  it.each(EXPORT_KINDS)('%s: every generated query picks the rows its meaning picks', async (kind) => {
    const spec = QUERY_SPECS[kind];
    const records = all[kind];
    let somePicked = 0;
    // In memory, many queries: the parser and compiler against the restated meaning.
    fc.assert(
      fc.property(generatedQuery(kind, spec, records), (q) => {
        const where = compileQuery(q.text, spec);
        const picked = records.filter(where);
        expect(ids(picked), q.text).toEqual(ids(records.filter(q.matches)));
        if (picked.length > 0 && picked.length < records.length) somePicked++;
      }),
      { numRuns: 150 },
    );
    // The generator must reach selective queries, not only all-or-nothing ones; the bar is low because
    // the runs are random (a tenth of them typically qualify).
    if (records.length > 1) expect(somePicked, 'queries that pick some rows but not all').toBeGreaterThan(2);
    // Through the store's export reader, fewer: what `mdec export --query` runs.
    await fc.assert(
      fc.asyncProperty(generatedQuery(kind, spec, records), async (q) => {
        const picked = await exported(t, kind, compileQuery(q.text, spec));
        expect(ids(picked), q.text).toEqual(ids(records.filter(q.matches)));
      }),
      { numRuns: 15 },
    );
  });
});
