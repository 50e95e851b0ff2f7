import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PagingError } from '../../src/mde/mde-errors.js';
import { assessmentPages } from '../../src/mde/paging/assessment-pages.js';
import { odataPages } from '../../src/mde/paging/odata-pages.js';
import { parseRecord } from '../../src/mde/parse/parse-record.js';
import { MachineSchema } from '../../src/mde/schemas/machine.js';
import { rowKey, startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { collect, createKit, type Kit, keyCounts } from './mde-test-kit.js';

type Row = Record<string, unknown>;
const ids = (rows: unknown[]) => (rows as Row[]).map((r) => String(r.id)).sort();

describe('odataPages over /api/machines (300 devices, pages of 70)', () => {
  let sim: TestSimulator;
  let kit: Kit;
  let truth: string[];

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 300 });
    truth = ids(await sim.truthRows('machines'));
  });
  afterEach(async () => {
    await sim.admin('DELETE', '/faults');
    await kit?.close();
  });
  afterAll(async () => sim?.close());

  it('reads every machine with $top/$skip, stopping on the short page', async () => {
    kit = await createKit(sim);
    const seen: number[] = [];
    const pages = odataPages(kit.client, 'entity', '/api/machines', {
      pageSize: 70,
      onPage: (p) => seen.push(p.records),
    });
    const rows = await collect(pages);
    expect(truth).toHaveLength(300);
    expect(ids(rows)).toEqual(truth);
    expect(seen).toEqual([70, 70, 70, 70, 20]);
    expect(kit.client.stats.apiCalls).toBe(5);
  });

  it('asks once more when the last page is exactly full, and stops on the empty one', async () => {
    kit = await createKit(sim);
    const pages = odataPages(kit.client, 'entity', '/api/machines', { pageSize: 100 });
    const rows = await collect(pages);
    expect(ids(rows)).toEqual(truth);
    expect(kit.client.stats.apiCalls).toBe(4);
  });

  it('passes $filter through and pages the filtered view', async () => {
    kit = await createKit(sim);
    const all = (await sim.truthRows('machines')).filter((m) => m.healthStatus === 'Active');
    const rows = await collect(
      odataPages(kit.client, 'entity', '/api/machines', {
        pageSize: 50,
        query: { $filter: "healthStatus eq 'Active'" },
      }),
    );
    expect(ids(rows)).toEqual(ids(all));
  });

  it('hands malformed records on, so the caller rejects and counts them', async () => {
    kit = await createKit(sim);
    await sim.fault({ kind: 'malformed-records', path: '/api/machines', count: 2 });
    const rows = await collect(odataPages(kit.client, 'entity', '/api/machines', { pageSize: 70 }));
    expect(rows).toHaveLength(300);
    const results = rows.map((r) => parseRecord(MachineSchema, r));
    const rejected = results.filter((r) => !r.ok);
    expect(rejected).toHaveLength(2);
    expect(rejected.map((r) => !r.ok && r.reason)).toEqual([
      expect.stringMatching(/^id: /),
      expect.stringMatching(/^id: /),
    ]);
  });

  it('ignores nextLink faults when $top is used (MDE sends no nextLink then)', async () => {
    kit = await createKit(sim);
    await sim.fault({ rules: [{ kind: 'loop-nextlink', path: '/api/machines', count: 3 }] });
    const rows = await collect(odataPages(kit.client, 'entity', '/api/machines', { pageSize: 70 }));
    expect(ids(rows)).toEqual(truth);
  });

  it('treats the 404 of a tenant without machines as empty when asked to', async () => {
    const empty = await startTestSimulator({ devices: 0 });
    const k = await createKit(empty);
    try {
      const rows = await collect(
        odataPages(k.client, 'entity', '/api/machines', { pageSize: 100, notFoundIsEmpty: true }),
      );
      expect(rows).toEqual([]);
      await expect(
        collect(odataPages(k.client, 'entity', '/api/machines', { pageSize: 100 })),
      ).rejects.toMatchObject({
        status: 404,
      });
    } finally {
      await k.close();
      await empty.close();
    }
  });
});

describe('odataPages following nextLinks (machinesVulnerabilities without $top, 500 devices)', () => {
  const PATH = '/api/vulnerabilities/machinesVulnerabilities';
  let sim: TestSimulator;
  let kit: Kit;
  let reference: string[];

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 500 });
    const all = await sim.allPages(PATH);
    expect(all.pages).toBeGreaterThan(1);
    reference = ids(all.rows);
  });
  afterEach(async () => {
    await sim.admin('DELETE', '/faults');
    await kit?.close();
  });
  afterAll(async () => sim?.close());

  const pull = () => collect(odataPages(kit.client, 'tvmEntity', PATH, { pageSize: 10_000, sendTop: false }));

  it('follows sane nextLinks to the end', async () => {
    kit = await createKit(sim);
    const rows = await pull();
    expect(ids(rows)).toEqual(reference);
    expect(new Set(ids(rows)).size).toBe(rows.length);
  });

  it('refuses a looping nextLink', async () => {
    kit = await createKit(sim);
    await sim.fault({ kind: 'loop-nextlink', path: 'machinesVulnerabilities', count: 1 });
    const error = await pull().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PagingError);
    expect(error).toMatchObject({ code: 'paging', reason: 'loop' });
  });

  it('falls back to $skip when a full page has a malformed nextLink', async () => {
    kit = await createKit(sim);
    await sim.fault({ kind: 'malformed-nextlink', path: 'machinesVulnerabilities', count: 1 });
    const rows = await pull();
    expect(ids(rows)).toEqual(reference);
    expect(kit.logs.some((l) => l.event === 'bad-nextlink')).toBe(true);
  });

  it('falls back to $skip when a full page has no nextLink', async () => {
    kit = await createKit(sim);
    await sim.fault({ kind: 'missing-nextlink', path: 'machinesVulnerabilities', count: 1 });
    const rows = await pull();
    expect(ids(rows)).toEqual(reference);
  });
});

describe('assessmentPages (300 devices)', () => {
  let sim: TestSimulator;
  let kit: Kit;
  let truth: Map<string, number>;
  let truthRows: number;

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 300 });
    const rows = await sim.truthRows('vulnerabilities');
    truthRows = rows.length;
    truth = keyCounts(rows, rowKey);
  });
  afterEach(async () => {
    await sim.admin('DELETE', '/faults');
    await kit?.close();
  });
  afterAll(async () => sim?.close());

  it('reads SoftwareVulnerabilitiesByMachine page by page, equal to the ground truth', async () => {
    kit = await createKit(sim);
    const seen: number[] = [];
    const rows = await collect(
      assessmentPages(kit.client, 'SoftwareVulnerabilitiesByMachine', {
        pageSize: 1000,
        onPage: (p) => seen.push(p.records),
      }),
    );
    expect(rows).toHaveLength(truthRows);
    expect(keyCounts(rows, rowKey)).toEqual(truth);
    expect(seen.length).toBe(Math.ceil(truthRows / 1000));
    expect(kit.client.stats.apiCalls).toBe(seen.length);
  });

  it.each([
    ['loop-nextlink', 'loop'],
    ['malformed-nextlink', 'malformed-link'],
    ['missing-nextlink', 'incomplete'],
  ])('turns %s into PagingError %s', async (kind, reason) => {
    kit = await createKit(sim);
    await sim.fault({ kind, path: 'SoftwareVulnerabilitiesByMachine', count: 1 });
    const error = await collect(
      assessmentPages(kit.client, 'SoftwareVulnerabilitiesByMachine', { pageSize: 1000 }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PagingError);
    expect(error).toMatchObject({ reason, path: '/api/machines/SoftwareVulnerabilitiesByMachine' });
  });

  it('reads the inventory feeds to the end', async () => {
    kit = await createKit(sim);
    const truthCounts = (await sim.admin('GET', '/truth')) as {
      inventoryRows: number;
      nonCpeInventoryRows: number;
    };
    const inventory = await collect(
      assessmentPages(kit.client, 'SoftwareInventoryByMachine', { pageSize: 2000 }),
    );
    expect(inventory).toHaveLength(truthCounts.inventoryRows);
    const nonCpe = await collect(
      assessmentPages(kit.client, 'SoftwareInventoryNoProductCodeByMachine', { pageSize: 2000 }),
    );
    expect(nonCpe).toHaveLength(truthCounts.nonCpeInventoryRows);
  });

  it('reads the change feed since a time, and refuses to page it without sinceTime or with $top', async () => {
    kit = await createKit(sim);
    const since = new Date(Date.parse(String((await sim.admin('GET', '/clock')).now)) - 60_000);
    await kit.clock.advanceHours(12);
    const rows = (await collect(
      assessmentPages(kit.client, 'SoftwareVulnerabilityChangesByMachine', {
        sinceTime: since,
        pageSize: 500,
      }),
    )) as Row[];
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(['New', 'Fixed', 'Updated']).toContain(row.status);
    await expect(
      collect(assessmentPages(kit.client, 'SoftwareVulnerabilityChangesByMachine')),
    ).rejects.toMatchObject({
      code: 'config',
      field: 'sinceTime',
    });
    await expect(
      collect(assessmentPages(kit.client, 'SoftwareVulnerabilitiesByMachine', { query: { $top: 10 } })),
    ).rejects.toMatchObject({ code: 'config', field: 'query' });
  });
});
