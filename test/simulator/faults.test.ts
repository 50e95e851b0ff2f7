import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFaultSpec } from '../../src/simulator/http/faults.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';

type Page = { value: Record<string, unknown>[]; '@odata.nextLink'?: string };

describe('simulator: faults on demand', () => {
  let sim: TestSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 120 });
  });
  afterAll(() => sim.close());

  it('parses the --faults spec and rejects bad ones', () => {
    expect(parseFaultSpec('5xx:503@/api/machines*3,429~0.5')).toEqual([
      { kind: '5xx', param: 503, path: '/api/machines', count: 3 },
      { kind: '429', probability: 0.5 },
    ]);
    expect(() => parseFaultSpec('explode')).toThrow(/unknown fault kind/);
    expect(() => parseFaultSpec('5xx~2')).toThrow(/expected kind/);
  });

  it('a 429 storm answers 429 with Retry-After for the next N calls only', async () => {
    await sim.fault({ kind: '429', path: '/api/alerts', count: 3, param: 2 });
    for (let i = 0; i < 3; i++) {
      const res = await sim.get('/api/alerts?$top=1');
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('2');
    }
    expect((await sim.get('/api/alerts?$top=1')).status).toBe(200);
  });

  it('a 5xx burst answers the chosen status', async () => {
    await sim.fault({ kind: '5xx', param: 503, count: 2 });
    expect((await sim.get('/api/machines?$top=1')).status).toBe(503);
    expect((await sim.get('/api/machines?$top=1')).status).toBe(503);
    expect((await sim.get('/api/machines?$top=1')).status).toBe(200);
  });

  it('a connection reset makes the client see a network error', async () => {
    await sim.fault({ kind: 'reset', count: 1 });
    await expect(sim.get('/api/machines?$top=1')).rejects.toThrow();
    expect((await sim.get('/api/machines?$top=1')).status).toBe(200);
  });

  it('a cut body ends the connection half-way through a JSON page', async () => {
    await sim.fault({ kind: 'cut-body', count: 1 });
    await expect(sim.get('/api/machines').then((r) => r.json())).rejects.toThrow();
  });

  it('a slow body still arrives whole, later', async () => {
    await sim.fault({ kind: 'slow', count: 1, param: 600 });
    const started = Date.now();
    const { body } = await sim.getJson<Page>('/api/machines?$top=10');
    expect(body.value).toHaveLength(10);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
  });

  it('token revocation makes the next call 401', async () => {
    const token = await sim.signIn();
    await sim.fault({ kind: 'revoke-tokens', count: 1 });
    expect((await sim.get('/api/machines?$top=1', token)).status).toBe(401);
    const fresh = await sim.signIn();
    expect((await sim.get('/api/machines?$top=1', fresh)).status).toBe(200);
  });

  it('nextLink faults: looping, malformed and missing links', async () => {
    await sim.fault({ kind: 'loop-nextlink', count: 1 });
    const looped = await sim.getJson<Page>('/api/machines/SoftwareVulnerabilitiesByMachine?pageSize=50');
    expect(looped.body['@odata.nextLink']).toBe(
      `${sim.url}/api/machines/SoftwareVulnerabilitiesByMachine?pageSize=50`,
    );
    await sim.fault({ kind: 'malformed-nextlink', count: 1 });
    const malformed = await sim.getJson<Page>('/api/machines/SoftwareVulnerabilitiesByMachine?pageSize=50');
    expect(() => new URL(malformed.body['@odata.nextLink']!)).toThrow();
    await sim.fault({ kind: 'missing-nextlink', count: 1 });
    const missing = await sim.getJson<Page>('/api/machines/SoftwareVulnerabilitiesByMachine?pageSize=50');
    expect(missing.body.value).toHaveLength(50);
    expect(missing.body['@odata.nextLink']).toBeUndefined();
  });

  it('malformed records: an identity field of the wrong type', async () => {
    await sim.fault({ kind: 'malformed-records', count: 1 });
    const { body } = await sim.getJson<Page>('/api/machines?$top=5');
    expect(typeof body.value[0]!.id).toBe('object');
    expect(typeof body.value[1]!.id).toBe('string');
  });

  it('export file faults: expired link, truncated gzip, empty file', async () => {
    const { body } = await sim.getJson<{ exportFiles: string[] }>(
      '/api/machines/SoftwareVulnerabilitiesExport',
    );
    const url = body.exportFiles[0]!;
    await sim.fault({ kind: 'expired-link', path: '/blob/', count: 1 });
    expect((await fetch(url)).status).toBe(403);
    await sim.fault({ kind: 'truncated-gzip', path: '/blob/', count: 1 });
    const truncated = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(() => gunzipSync(truncated)).toThrow();
    await sim.fault({ kind: 'empty-file', path: '/blob/', count: 1 });
    const empty = await fetch(url);
    expect(empty.status).toBe(200);
    expect((await empty.arrayBuffer()).byteLength).toBe(0);
    const whole = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(gunzipSync(whole).length).toBeGreaterThan(0);
  });

  it('refuses a bad fault rule on the admin endpoint', async () => {
    const res = await fetch(`${sim.url}/_sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'nope' }),
    });
    expect(res.status).toBe(400);
  });
});
