import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_KINDS, type ExportKind } from '../../src/export/export-kinds.js';
import { QUERY_SPECS } from '../../src/export/query-fields.js';
import { kindColumns, kindTable, readRecords } from '../../src/export/read-records.js';
import { DATA_TYPES } from '../../src/normalize/connector-options.js';
import { compileQueryToSql } from '../../src/store/query/query-to-sql.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, sync } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';
import { generatedQuery } from './query-oracle.js';

type Row = Record<string, unknown>;
/** A record's identity: its id, or for findings (no id in exports) their key fields. */
const keyOf = (r: Row) =>
  JSON.stringify([
    r.connectorId ?? null,
    r.id ?? [r.machineId, r.cveId, r.softwareVendor, r.softwareName, r.softwareVersion],
  ]);

/**
 * The query language compiled to SQL (store/query/query-to-sql.ts) against its TypeScript evaluator
 * (normalize/query/compile-query.ts), on the same synced store: a query the database evaluates
 * exactly picks exactly the records the evaluator picks; one it evaluates in part picks a superset.
 */
describe.each(STORE_KINDS)('the query language in SQL equals its evaluator (%s)', (storeKind) => {
  let sim: TestSimulator;
  let t: TestStore;
  const all = {} as Record<ExportKind, Row[]>;

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 30 });
    t = await openTestStore(storeKind);
    await addConnector(t.store, sim, { dataTypes: [...DATA_TYPES] });
    expect((await sync(t.store, sim, 'full')).state).toBe('succeeded');
    await sim.advanceHours(24);
    expect((await sync(t.store, sim, 'full')).state).toBe('succeeded');
    // Every host of the simulated tenant is active: a few take the other statuses the store writes.
    const hostIds = (await t.store.db.selectFrom('hosts').select('id').orderBy('id').execute()).map(
      (h) => h.id,
    );
    for (const [i, status] of (['stale', 'excluded', 'merged', 'retained'] as const).entries()) {
      await t.store.db.updateTable('hosts').set({ status }).where('id', '=', hostIds[i]!).execute();
    }
    for (const kind of EXPORT_KINDS) {
      all[kind] = [];
      for await (const r of readRecords(t.store, kind)) all[kind].push(r);
    }
  });
  afterAll(async () => {
    await t?.drop();
    await sim?.close();
  });

  const inSql = async (kind: ExportKind, text: string) => {
    const compiled = compileQueryToSql(text, QUERY_SPECS[kind], {
      table: kindTable(kind),
      columns: await kindColumns(t.store, kind),
      dialect: t.store.dialect,
    });
    const picked: string[] = [];
    for await (const r of readRecords(t.store, kind, { sqlWhere: compiled.where })) picked.push(keyOf(r));
    const evaluated = all[kind].filter(compiled.predicate).map(keyOf);
    return { exact: compiled.exact, picked: picked.sort(), evaluated: evaluated.sort() };
  };

  it('answers hand-written queries the same way, exactly, on column fields', async () => {
    const cases: Array<[ExportKind, string]> = [
      ['findings', 'severity>=high AND status:open'],
      ['findings', 'cvss>7.5 OR NOT update:yes'],
      ['findings', 'exploit>=public'],
      ['findings', 'lastFound>=2026-11-01 AND firstFound<2026-11-02T12:00Z'],
      ['findings', 'software:chrom OR vendor=microsoft'],
      ['hosts', 'risk>=medium OR tag:lab'],
      ['hosts', 'ip:10. AND NOT os:Windows'],
      ['hosts', 'riskScore>=20 AND vulnerabilities>0'],
      ['vulnerabilities', 'epss>0.1 OR patch:yes'],
      ['alerts', 'severity>=medium AND technique:T1'],
      ['runs', 'state:succeeded'],
      // Columns compared as they are stored (store/query/stored-forms.ts), every operator.
      ['hosts', 'status:active AND risk>=low'],
      ['hosts', 'status:ACT OR status=Stale OR status!=merged'],
      ['hosts', 'NOT status:active OR risk!=none'],
      ['hosts', 'status:x OR status=""'],
      ['hosts', 'risk:High OR risk=0 OR risk<2.5'],
      ['hosts', 'NOT risk>=medium'],
      ['hosts', 'risk>medium OR risk<=1'],
      ['hosts', 'topSeverity>=high OR topSeverity!=3'],
      ['hosts', 'NOT topSeverity<4'],
      ['findings', 'severity>3.5 AND NOT status=fixed'],
      ['findings', 'severity!=critical OR status:F'],
      ['findings', 'severity<=medium AND status!=open'],
      ['vulnerabilities', 'exploit>=verified OR maturity!=none'],
    ];
    for (const [kind, text] of cases) {
      const r = await inSql(kind, text);
      expect(r.exact, `${kind} ${text}`).toBe(true);
      expect(r.picked, `${kind} ${text}`).toEqual(r.evaluated);
    }
    const some = await inSql('findings', 'severity>=high');
    expect(some.picked.length).toBeGreaterThan(0);
    // The store has hosts on both sides of a risk comparison and of a status one.
    for (const [text, kind] of [
      ['risk>=medium', 'hosts'],
      ['status:active', 'hosts'],
      ['status:open', 'findings'],
    ] as const) {
      const split = await inSql(kind, text);
      expect(split.picked.length, text).toBeGreaterThan(0);
      expect(split.picked.length, text).toBeLessThan(all[kind].length);
    }
  });

  for (const kind of EXPORT_KINDS) {
    it(`${kind}: random queries pick the evaluator's records (a superset where not exact)`, async () => {
      const spec = QUERY_SPECS[kind];
      let exactRuns = 0;
      await fc.assert(
        fc.asyncProperty(generatedQuery(kind, spec, all[kind]), async (q) => {
          const r = await inSql(kind, q.text);
          if (r.exact) {
            exactRuns++;
            expect(r.picked, q.text).toEqual(r.evaluated);
          } else {
            const picked = new Set(r.picked);
            for (const k of r.evaluated) expect(picked.has(k), q.text).toBe(true);
          }
        }),
        { numRuns: 40 },
      );
      if (kind !== 'profiles') expect(exactRuns).toBeGreaterThan(0);
    });
  }
});
