import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listTotal } from '../../src/api/list-total.js';
import { listFilter, readList } from '../../src/api/record-list.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, sync } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

type Item = Record<string, unknown>;

/**
 * Keyset paging and totals of the lists (docs/api.md#lists) on both databases: every match once, in
 * the sort's order with missing values last, the total counted on the first page and carried by the
 * cursor, and an estimate flagged as one beyond the exact-count limit.
 */
describe.each(STORE_KINDS)('list paging and totals (%s)', (storeKind) => {
  let sim: TestSimulator;
  let ts: TestStore;

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 60, seed: 5 });
    ts = await openTestStore(storeKind);
    await addConnector(ts.store, sim, { dataTypes: ['machines', 'vulnerabilities'] }, 'lab');
    expect((await sync(ts.store, sim, 'full', 'lab')).state).toBe('succeeded');
    // Hosts without a risk score sort last in either direction.
    await ts.store.db.updateTable('hosts').set({ riskScore: null }).where('id', 'in', [2, 3, 5]).execute();
  });
  afterAll(async () => {
    await ts?.drop();
    await sim?.close();
  });

  async function pageThrough(
    kind: 'hosts' | 'findings',
    request: { query?: string; sort?: string },
    limit: number,
  ) {
    const items: Item[] = [];
    const totals: Array<{ total: number; exact: boolean }> = [];
    let cursor: string | null = null;
    do {
      const page = await readList(ts.store, kind, { ...request, limit, ...(cursor ? { cursor } : {}) });
      items.push(...page.items);
      totals.push({ total: page.total, exact: page.totalExact !== false });
      cursor = page.nextCursor;
    } while (cursor);
    return { items, totals };
  }

  for (const descending of [true, false]) {
    it(`hosts by ${descending ? '-' : ''}riskScore: every host once, missing scores last, ties by id in the sort's direction`, async () => {
      const everyHost = await ts.store.db.selectFrom('hosts').select(['id', 'riskScore']).execute();
      const { items, totals } = await pageThrough('hosts', { sort: `${descending ? '-' : ''}riskScore` }, 7);
      expect(items.length).toBe(everyHost.length);
      expect(new Set(items.map((h) => h.id)).size).toBe(everyHost.length);
      const scored = items.filter((h) => h.riskScore !== null);
      const unscored = items.slice(scored.length);
      expect(unscored.every((h) => h.riskScore === null)).toBe(true);
      expect(unscored.length).toBe(everyHost.filter((h) => h.riskScore === null).length);
      const sign = descending ? -1 : 1;
      const expected = [...scored].sort(
        (a, b) => sign * (Number(a.riskScore) - Number(b.riskScore) || Number(a.id) - Number(b.id)),
      );
      expect(scored.map((h) => h.id)).toEqual(expected.map((h) => h.id));
      expect(unscored.map((h) => h.id)).toEqual(unscored.map((h) => Number(h.id)).sort((a, b) => a - b));
      // Counted on the first page; every later page carries the same total.
      expect(new Set(totals.map((t) => t.total))).toEqual(new Set([everyHost.length]));
      expect(totals.every((t) => t.exact)).toBe(true);
    });
  }

  it('findings of a query on the table’s own columns: every match once, the exact total', async () => {
    const query = 'severity>=high AND status:open';
    const { items, totals } = await pageThrough('findings', { query }, 50);
    const expected = await ts.store.db
      .selectFrom('findings')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('severity', '>=', 4)
      .where('status', '=', 'open')
      .executeTakeFirstOrThrow();
    expect(items.length).toBe(Number(expected.n));
    expect(new Set(items.map((f) => f.id)).size).toBe(items.length);
    expect(totals[0]).toEqual({ total: Number(expected.n), exact: true });
  });

  it('beyond the exact-count limit the total is an estimate, never below what was counted', async () => {
    const all = Number(
      (
        await ts.store.db
          .selectFrom('findings')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
    expect(all).toBeGreaterThan(100);
    for (const query of ['status:open', 'severity>=high', '']) {
      const filter = await listFilter(ts.store, 'findings', query);
      const exact = await listTotal(ts.store, 'findings', filter.count, query);
      const bounded = await listTotal(ts.store, 'findings', filter.count, query, {
        limit: 20,
        sampleRows: 20,
      });
      expect(exact.exact).toBe(true);
      if (exact.total > 20) {
        expect(bounded.exact).toBe(false);
        expect(bounded.total).toBeGreaterThan(20);
        expect(bounded.total).toBeLessThanOrEqual(all * 2);
      } else expect(bounded).toEqual(exact);
    }
    // A query on a field the table does not hold (the machine id) counts through the joins, alike.
    const machine = (await readList(ts.store, 'findings', { limit: 1 })).items[0]!.machineId as string;
    const filter = await listFilter(ts.store, 'findings', `machine:${machine}`);
    expect(filter.count.onTable).toBe(false);
    const perMachine = await listTotal(ts.store, 'findings', filter.count, `machine:${machine}`);
    const { items } = await pageThrough('findings', { query: `machine:${machine}` }, 100);
    expect(perMachine).toEqual({ total: items.length, exact: true });
  });
});
