import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';

type Page = { value: Record<string, unknown>[]; '@odata.nextLink'?: string; '@odata.context'?: string };

describe('simulator: machines', () => {
  let sim: TestSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 300 });
  });
  afterAll(() => sim.close());

  it('lists every machine the ground truth holds, in one page when under the maximum page size', async () => {
    const { status, body } = await sim.getJson<Page>('/api/machines');
    const truth = await sim.truthRows('machines');
    expect(status).toBe(200);
    expect(body['@odata.context']).toContain('$metadata#Machines');
    expect(body['@odata.nextLink']).toBeUndefined();
    expect(body.value.map((m) => m.id)).toEqual(truth.map((m) => m.id));
    expect(truth.length).toBe(300);
  });

  it('answers the versioned path /api/v1.0 the same way', async () => {
    const { body } = await sim.getJson<Page>('/api/v1.0/machines?$top=5');
    expect(body.value).toHaveLength(5);
  });

  it('gives no nextLink when $top is used, even when more rows exist (the MDE quirk)', async () => {
    const { body } = await sim.getJson<Page>('/api/machines?$top=50');
    expect(body.value).toHaveLength(50);
    expect(body['@odata.nextLink']).toBeUndefined();
  });

  it('pages with $skip and $top without gaps or overlaps', async () => {
    const ids: unknown[] = [];
    for (let skip = 0; skip < 300; skip += 70) {
      const { body } = await sim.getJson<Page>(`/api/machines?$top=70&$skip=${skip}`);
      ids.push(...body.value.map((m) => m.id));
    }
    expect(new Set(ids).size).toBe(300);
  });

  it('a plain $skip starts at its row: the same rows in the same order as the full list', async () => {
    const truth = (await sim.truthRows('machines')).map((m) => m.id);
    for (const skip of [0, 1, 137, truth.length - 3, truth.length]) {
      const { body } = await sim.getJson<Page>(`/api/machines?$top=5&$skip=${skip}`);
      expect(body.value.map((m) => m.id)).toEqual(truth.slice(skip, skip + 5));
    }
  });

  it('filters with the documented operators', async () => {
    const truth = await sim.truthRows('machines');
    const cases: Array<[string, (m: Record<string, unknown>) => boolean]> = [
      ["healthStatus ne 'Active'", (m) => m.healthStatus !== 'Active'],
      ["riskScore eq 'High'", (m) => m.riskScore === 'High'],
      [
        "osPlatform eq 'Windows11' and healthStatus eq 'Active'",
        (m) => m.osPlatform === 'Windows11' && m.healthStatus === 'Active',
      ],
    ];
    for (const [filter, predicate] of cases) {
      const { status, body } = await sim.getJson<Page>(`/api/machines?$filter=${encodeURIComponent(filter)}`);
      expect(status, filter).toBe(200);
      expect(
        body.value.map((m) => m.id),
        filter,
      ).toEqual(truth.filter(predicate).map((m) => m.id));
      expect(body.value.length, filter).toBeGreaterThan(0);
    }
  });

  it('filters on lastSeen and on tags with the lambda form', async () => {
    const truth = await sim.truthRows('machines');
    const tagged = truth.find((m) => (m.machineTags as string[]).length > 0)!;
    const tag = (tagged.machineTags as string[])[0]!;
    const { body } = await sim.getJson<Page>(
      `/api/machines?$filter=${encodeURIComponent(`machineTags/any(tag: tag eq '${tag.replace(/'/g, "''")}')`)}`,
    );
    expect(body.value.length).toBe(truth.filter((m) => (m.machineTags as string[]).includes(tag)).length);
    const cut = '2026-10-25T00:00:00Z';
    const recent = await sim.getJson<Page>(`/api/machines?$filter=lastSeen gt ${cut}`);
    expect(recent.body.value.length).toBe(
      truth.filter((m) => Date.parse(m.lastSeen as string) > Date.parse(cut)).length,
    );
  });

  it('answers 400 ODataError for a property MDE does not filter on, and for bad syntax', async () => {
    for (const filter of [
      'firstSeen gt 2020-01-01Z',
      "rbacGroupName eq 'x'",
      "healthStatus eq 'Active' and",
      "contains(computerDnsName,'a')",
    ]) {
      const { status, body } = await sim.getJson<{
        error: { code: string; message: string; target: string };
      }>(`/api/machines?$filter=${encodeURIComponent(filter)}`);
      expect(status, filter).toBe(400);
      expect(body.error.code, filter).toBe('ODataError');
      expect(body.error.target, filter).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('refuses $top above 10,000', async () => {
    const { status, body } = await sim.getJson<{ error: { code: string } }>('/api/machines?$top=10001');
    expect(status).toBe(400);
    expect(body.error.code).toBe('ODataError');
  });

  it('gets one machine by id or by computer name, and 404s an unknown one', async () => {
    const [first] = await sim.truthRows('machines');
    const byId = await sim.getJson(`/api/machines/${first!.id}`);
    expect(byId.status).toBe(200);
    expect(byId.body.id).toBe(first!.id);
    const named = (await sim.truthRows('machines')).find((m) => typeof m.computerDnsName === 'string')!;
    const byName = await sim.getJson(`/api/machines/${encodeURIComponent(named.computerDnsName as string)}`);
    expect(byName.body.id).toBe(named.id);
    const missing = await sim.getJson<{ error: { code: string } }>(
      '/api/machines/0000000000000000000000000000000000000000',
    );
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('ResourceNotFound');
  });

  it('serves the per-device drill-downs', async () => {
    const machines = await sim.truthRows('machines');
    const vulns = await sim.truthRows('vulnerabilities');
    const withCve = vulns.find((r) => r.cveId)!;
    const id = withCve.deviceId as string;
    const v = await sim.getJson<Page>(`/api/machines/${id}/vulnerabilities`);
    expect(v.status).toBe(200);
    expect(v.body.value.map((c) => c.id)).toContain(withCve.cveId);
    for (const sub of ['software', 'recommendations', 'logonusers', 'alerts', 'getmissingkbs']) {
      const r = await sim.getJson<Page>(`/api/machines/${id}/${sub}`);
      expect(r.status, sub).toBe(200);
      expect(Array.isArray(r.body.value), sub).toBe(true);
    }
    expect(machines.some((m) => m.id === id)).toBe(true);
  });

  it('pages with nextLink when the tenant holds more than one full page', async () => {
    const big = await startTestSimulator({ devices: 10_050 });
    try {
      const first = await big.getJson<Page>('/api/machines');
      expect(first.body.value).toHaveLength(10_000);
      expect(first.body['@odata.nextLink']).toContain('$skip=10000');
      const second = await big.getJson<Page>(first.body['@odata.nextLink']!);
      expect(second.body.value).toHaveLength(50);
      expect(second.body['@odata.nextLink']).toBeUndefined();
    } finally {
      await big.close();
    }
  });

  it('answers 404 for the machine list when the tenant has no machines', async () => {
    const empty = await startTestSimulator({ devices: 0 });
    try {
      const { status, body } = await empty.getJson<{ error: { code: string } }>('/api/machines');
      expect(status).toBe(404);
      expect(body.error.code).toBe('ResourceNotFound');
    } finally {
      await empty.close();
    }
  });
});
