import { CompiledQuery, type Expression, type SqlBool, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportKind } from '../../src/export/export-kinds.js';
import { QUERY_SPECS } from '../../src/export/query-fields.js';
import { kindColumns, kindTable } from '../../src/export/read-records.js';
import { DATA_TYPES } from '../../src/normalize/connector-options.js';
import type { Store } from '../../src/store/db/store.js';
import { compileQueryToSql } from '../../src/store/query/query-to-sql.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, sync } from '../helpers/sync-harness.js';
import { openTestStore, POSTGRES_AVAILABLE, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

/** The rows of a kind's own table a compiled query selects, as SQL (placeholders written `?`). */
async function selectSql(store: Store, kind: ExportKind, query: string) {
  const compiled = compileQueryToSql(query, QUERY_SPECS[kind], {
    table: kindTable(kind),
    columns: await kindColumns(store, kind),
    dialect: store.dialect,
  });
  expect(compiled.exact, query).toBe(true);
  const db = store.db as unknown as {
    selectFrom(t: string): {
      selectAll(): { where(w: Expression<SqlBool>): { compile(): CompiledQuery } };
    };
  };
  const select = db.selectFrom(kindTable(kind)).selectAll().where(compiled.where).compile();
  // Each database's placeholder (`$1` on PostgreSQL, `+?` on SQLite) written as `?`.
  return { text: select.sql.replace(/\$\d+|\+\?/g, '?'), parameters: select.parameters, select };
}

/**
 * Comparisons on columns whose stored form the store keeps (src/store/query/stored-forms.ts) reach
 * the database as comparisons of the bare column, which it can estimate from its statistics and
 * serve from its indexes; an expression over the column (lower, coalesce, a CASE over the text) it
 * can do neither with.
 */
describe.each(STORE_KINDS)('comparisons on columns of a known form are bare columns (%s)', (storeKind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore(storeKind);
  });
  afterAll(async () => {
    await t?.drop();
  });

  // SQLite's words comparisons carry a unary plus (the same value), which keeps them from choosing an index.
  const w = storeKind === 'sqlite' ? '+' : '';
  const cases: Array<[ExportKind, string, string, unknown[]]> = [
    [
      'hosts',
      'status:active AND risk>=low',
      `((${w}"hosts"."status" in (?)) and (${w}"hosts"."risk_level" in (?, ?, ?, ?)))`,
      ['active', 'Critical', 'High', 'Medium', 'Low'],
    ],
    ['hosts', 'status:ACT', `(${w}"hosts"."status" in (?))`, ['active']],
    // A missing value matches only `!=` in the evaluator, so `!=` takes null too (whether or not the column allows it).
    [
      'hosts',
      'status!=active',
      `(${w}"hosts"."status" in (?, ?, ?, ?) or ${w}"hosts"."status" is null)`,
      ['stale', 'excluded', 'merged', 'retained'],
    ],
    [
      'hosts',
      'risk!=none',
      `(${w}"hosts"."risk_level" in (?, ?, ?, ?) or ${w}"hosts"."risk_level" is null)`,
      ['Critical', 'High', 'Medium', 'Low'],
    ],
    ['hosts', 'risk>5 OR status:zz', '(1 = 0 or 1 = 0)', []],
    ['hosts', 'topSeverity>=high', '"hosts"."top_vulnerability_severity" >= ?', [4]],
    [
      'findings',
      'severity>=high AND status:open',
      `("findings"."severity" >= ? and (${w}"findings"."status" in (?)))`,
      [4, 'open'],
    ],
    ['findings', 'severity!=critical', '("findings"."severity" is null or "findings"."severity" <> ?)', [5]],
    ['vulnerabilities', 'exploit>=verified', '"vulnerability_definitions"."exploit_maturity_rank" >= ?', [2]],
  ];

  it('compiles each to the bare column, with the words the evaluator accepts', async () => {
    for (const [kind, query, where, parameters] of cases) {
      const compiled = await selectSql(t.store, kind, query);
      expect(compiled.text, query).toMatch(/ where /);
      expect(compiled.text.slice(compiled.text.indexOf(' where ') + 7), query).toBe(where);
      expect(compiled.parameters, query).toEqual(parameters);
    }
  });

  it('keeps the expressions that read any form on columns without one', async () => {
    // Alert severities are Defender's words in its own case; a finding's exploitability level too.
    for (const [kind, query] of [
      ['alerts', 'severity>=high'],
      ['alerts', 'status:new'],
      ['findings', 'exploit>=public'],
    ] as const) {
      const compiled = await selectSql(t.store, kind, query);
      expect(compiled.text, query).toMatch(/lower\(/);
    }
  });
});

/**
 * On SQLite, which keeps no statistics, a comparison of a few words must not choose an index: a page
 * of hosts by risk walks `hosts_risk` in order and stops after the page, rather than seeking every
 * active host through `hosts_status` and sorting them all.
 */
describe('SQLite serves a page of hosts by risk with a query from the risk index', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore('sqlite');
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('walks hosts_risk in order, without sorting', async () => {
    for (const query of ['status:active AND risk>=low', 'status:active', 'risk>=high']) {
      const compiled = compileQueryToSql(query, QUERY_SPECS.hosts, {
        table: 'hosts',
        columns: await kindColumns(t.store, 'hosts'),
        dialect: 'sqlite',
      });
      // The first page of readRecordPage's run over the hosts with a risk score, highest first.
      const page = t.store.db
        .selectFrom('hosts')
        .selectAll()
        .where(compiled.where)
        .where(sql<SqlBool>`hosts.risk_score is not null`)
        .orderBy('hosts.riskScore', 'desc')
        .orderBy('hosts.id', 'desc')
        .limit(101)
        .compile();
      const plan = await t.store.db.executeQuery<{ detail: string }>(
        CompiledQuery.raw(`explain query plan ${page.sql}`, [...page.parameters]),
      );
      const details = plan.rows.map((r) => r.detail).join('; ');
      expect(details, query).toMatch(/USING INDEX hosts_risk/);
      expect(details, query).not.toMatch(/TEMP B-TREE/);
    }
  });
});

/**
 * On PostgreSQL, what a bare column comparison buys: after ANALYZE the planner's row estimate for
 * each comparison is the true count (from the column's most common values), where for an expression
 * over the column it can only guess (a fixed fraction of the table).
 */
describe.skipIf(!POSTGRES_AVAILABLE)('PostgreSQL estimates compiled comparisons from its statistics', () => {
  let sim: TestSimulator;
  let t: TestStore;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 40 });
    t = await openTestStore('postgres');
    await addConnector(t.store, sim, { dataTypes: [...DATA_TYPES] });
    expect((await sync(t.store, sim, 'full')).state).toBe('succeeded');
    const hostIds = (await t.store.db.selectFrom('hosts').select('id').orderBy('id').execute()).map(
      (h) => h.id,
    );
    // A tenth of the hosts stale, so that the status comparison selects part of the table.
    await t.store.db
      .updateTable('hosts')
      .set({ status: 'stale' })
      .where(
        'id',
        'in',
        hostIds.filter((_, i) => i % 10 === 0),
      )
      .execute();
    await t.store.db.executeQuery(CompiledQuery.raw('ANALYZE hosts, findings'));
  });
  afterAll(async () => {
    await t?.drop();
    await sim?.close();
  });

  it('estimates the rows of each comparison of the benchmark queries within a few rows', async () => {
    for (const [kind, query] of [
      ['hosts', 'status:active'],
      ['hosts', 'status!=active'],
      ['hosts', 'risk>=low'],
      ['hosts', 'risk>=medium'],
      ['findings', 'severity>=high'],
      ['findings', 'severity>=medium'],
      ['findings', 'severity=critical'],
      ['findings', 'status:open'],
    ] as const) {
      const { select } = await selectSql(t.store, kind, query);
      const plan = await t.store.db.executeQuery<{ 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> }>(
        CompiledQuery.raw(`EXPLAIN (FORMAT JSON) ${select.sql}`, [...select.parameters]),
      );
      const estimate = plan.rows[0]!['QUERY PLAN'][0]!.Plan['Plan Rows'];
      const actual = (await t.store.db.executeQuery(select)).rows.length;
      expect(actual, query).toBeGreaterThan(0);
      expect(
        Math.abs(estimate - actual),
        `${kind} ${query}: estimated ${estimate}, ${actual} rows`,
      ).toBeLessThanOrEqual(Math.max(2, actual * 0.1));
    }
  });
});
