import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';

type Page = { value: Record<string, unknown>[]; '@odata.nextLink'?: string };

describe('simulator: CVE catalog, software, recommendations', () => {
  let sim: TestSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 150 });
  });
  afterAll(() => sim.close());

  it('lists the CVE catalog with CVSS vectors, EPSS and exploit flags, and refuses $top above 8,000', async () => {
    const { body } = await sim.getJson<Page>('/api/vulnerabilities');
    expect(body.value.length).toBeGreaterThan(10);
    expect(body.value.some((c) => String(c.cvssVector).startsWith('CVSS:3.'))).toBe(true);
    expect(body.value.some((c) => typeof c.epss === 'number')).toBe(true);
    expect(body.value.some((c) => String(c.id).startsWith('TVM-'))).toBe(true);
    const over = await sim.getJson<{ error: { code: string } }>('/api/vulnerabilities?$top=8001');
    expect(over.status).toBe(400);
    const one = body.value.find((c) => String(c.id).startsWith('CVE-'))!;
    const byId = await sim.getJson(`/api/vulnerabilities/${one.id}`);
    expect(byId.body.id).toBe(one.id);
    const refs = await sim.getJson<Page>(`/api/vulnerabilities/${one.id}/machineReferences`);
    expect(refs.body.value.length).toBe(one.exposedMachines);
  });

  it('filters the catalog by severity', async () => {
    const all = await sim.getJson<Page>('/api/vulnerabilities');
    const critical = await sim.getJson<Page>("/api/vulnerabilities?$filter=severity eq 'Critical'");
    expect(critical.body.value.length).toBe(all.body.value.filter((c) => c.severity === 'Critical').length);
  });

  it('serves machinesVulnerabilities with $top/$skip', async () => {
    const { body } = await sim.getJson<Page>('/api/vulnerabilities/machinesVulnerabilities?$top=30&$skip=5');
    expect(body.value).toHaveLength(30);
    expect(body.value[0]).toHaveProperty('fixingKbId');
  });

  it('serves software, distributions, machine references and vulnerabilities', async () => {
    const { body } = await sim.getJson<Page>('/api/Software');
    const sw = body.value.find((s) => (s.weaknesses as number) > 0)!;
    const id = encodeURIComponent(sw.id as string);
    expect((await sim.getJson(`/api/Software/${id}`)).body.id).toBe(sw.id);
    const dist = await sim.getJson<Page>(`/api/Software/${id}/distributions`);
    expect(dist.body.value[0]).toHaveProperty('installations');
    const refs = await sim.getJson<Page>(`/api/Software/${id}/machineReferences`);
    expect(refs.body.value.length).toBeGreaterThan(0);
    const vulns = await sim.getJson<Page>(`/api/Software/${id}/vulnerabilities`);
    expect(vulns.body.value.length).toBeGreaterThan(0);
  });

  it('serves recommendations and their references', async () => {
    const { body } = await sim.getJson<Page>('/api/recommendations');
    const rec = body.value.find((r) => String(r.id).startsWith('va-_-') && (r.weaknesses as number) > 0)!;
    const id = encodeURIComponent(rec.id as string);
    expect((await sim.getJson(`/api/recommendations/${id}`)).body.id).toBe(rec.id);
    expect((await sim.getJson<Page>(`/api/recommendations/${id}/machineReferences`)).body.value.length).toBe(
      rec.exposedMachinesCount,
    );
    expect(
      (await sim.getJson<Page>(`/api/recommendations/${id}/vulnerabilities`)).body.value.length,
    ).toBeGreaterThan(0);
    expect((await sim.getJson(`/api/recommendations/${id}/software`)).status).toBe(200);
  });
});

describe('simulator: alerts', () => {
  let sim: TestSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 200 });
  });
  afterAll(() => sim.close());

  it('sends evidence only with $expand=evidence', async () => {
    const plain = await sim.getJson<Page>('/api/alerts?$top=20');
    expect(plain.body.value.every((a) => (a.evidence as unknown[]).length === 0)).toBe(true);
    const expanded = await sim.getJson<Page>('/api/alerts?$top=20&$expand=evidence');
    expect(expanded.body.value.some((a) => (a.evidence as unknown[]).length > 0)).toBe(true);
    const onMachines = await sim.getJson<{ error: { code: string } }>('/api/machines?$expand=evidence');
    expect(onMachines.status).toBe(400);
  });

  it('moves alerts on as the clock advances, visible through a lastUpdateTime filter', async () => {
    const truth = await sim.truthRows('alerts');
    expect(truth.length).toBeGreaterThan(0);
    const clock = (await sim.admin('GET', '/clock')).now as string;
    await sim.advanceHours(48);
    const { body } = await sim.getJson<Page>(`/api/alerts?$filter=lastUpdateTime ge ${clock}`);
    expect(body.value.length).toBeGreaterThan(0);
    const after = await sim.truthRows('alerts');
    expect(after.length).toBeGreaterThanOrEqual(truth.length);
    const changed = after.filter((a) => {
      const old = truth.find((t) => t.id === a.id);
      return !old || old.status !== a.status;
    });
    expect(changed.length).toBeGreaterThan(0);
  });

  it('gets one alert and its machine', async () => {
    const [alert] = await sim.truthRows('alerts');
    const one = await sim.getJson(`/api/alerts/${alert!.id}`);
    expect(one.body.id).toBe(alert!.id);
    const machine = await sim.getJson(`/api/alerts/${alert!.id}/machine`);
    expect(machine.body.id).toBe(alert!.machineId);
  });
});

describe('simulator: machine actions', () => {
  let sim: TestSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 100 });
  });
  afterAll(() => sim.close());

  async function machineWhere(predicate: (m: Record<string, unknown>) => boolean) {
    const m = (await sim.truthRows('machines')).find(predicate);
    if (!m) throw new Error('no such machine in the test tenant');
    return m.id as string;
  }

  it('isolates: 201 Pending, duplicate refused, then InProgress and Succeeded over simulated time', async () => {
    const id = await machineWhere(
      (m) => String(m.osPlatform).startsWith('Windows') && m.healthStatus === 'Active',
    );
    const first = await sim.post(`/api/machines/${id}/isolate`, { Comment: 'test', IsolationType: 'Full' });
    expect(first.status).toBe(201);
    expect(first.body.status).toBe('Pending');
    expect(first.body.type).toBe('Isolate');
    const again = await sim.post(`/api/machines/${id}/isolate`, { Comment: 'again', IsolationType: 'Full' });
    expect(again.status).toBe(400);
    expect((again.body.error as { code: string }).code).toBe('ActiveRequestAlreadyExists');
    await sim.advanceHours(2 / 60);
    expect((await sim.getJson(`/api/machineactions/${first.body.id}`)).body.status).toBe('InProgress');
    await sim.advanceHours(10 / 60);
    const done = await sim.getJson(`/api/machineactions/${first.body.id}`);
    expect(done.body.status).toBe('Succeeded');
    const release = await sim.post(`/api/machines/${id}/unisolate`, { Comment: 'release' });
    expect(release.status).toBe(201);
    const list = await sim.getJson<Page>(`/api/machineactions?$filter=machineId eq '${id}'`);
    expect(list.body.value.map((a) => a.type).sort()).toEqual(['Isolate', 'Unisolate']);
  });

  it('validates bodies case-sensitively and refuses unsupported platforms', async () => {
    const win = await machineWhere((m) => String(m.osPlatform).startsWith('Windows'));
    const noComment = await sim.post(`/api/machines/${win}/runAntiVirusScan`, {
      comment: 'lower',
      ScanType: 'Quick',
    });
    expect(noComment.status).toBe(400);
    expect((noComment.body.error as { code: string }).code).toBe('MissingRequiredParameter');
    const badType = await sim.post(`/api/machines/${win}/runAntiVirusScan`, {
      Comment: 'x',
      ScanType: 'Deep',
    });
    expect(badType.status).toBe(400);
    const mobile = await machineWhere((m) => m.osPlatform === 'iOS' || m.osPlatform === 'Android');
    const unsupported = await sim.post(`/api/machines/${mobile}/runAntiVirusScan`, {
      Comment: 'x',
      ScanType: 'Quick',
    });
    expect((unsupported.body.error as { code: string }).code).toBe('OsPlatformNotSupported');
  });

  it('cancels a pending scan', async () => {
    const win = await machineWhere(
      (m) => String(m.osPlatform).startsWith('Windows') && m.healthStatus === 'Active',
    );
    const scan = await sim.post(`/api/machines/${win}/runAntiVirusScan`, {
      Comment: 'scan',
      ScanType: 'Full',
    });
    expect(scan.status).toBe(201);
    const cancel = await sim.post(`/api/machineactions/${scan.body.id}/cancel`, { Comment: 'never mind' });
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('Cancelled');
    const missing = await sim.post('/api/machineactions/00000000-0000-0000-0000-000000000001/cancel', {
      Comment: 'x',
    });
    expect(missing.status).toBe(404);
  });
});
