import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, NetworkError } from '../../src/mde/mde-errors.js';
import { assessmentPages } from '../../src/mde/paging/assessment-pages.js';
import { odataPages } from '../../src/mde/paging/odata-pages.js';
import { rowKey, startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { collect, createKit, type Kit, keyCounts } from './mde-test-kit.js';

type Row = Record<string, unknown>;
const ids = (rows: unknown[]) => (rows as Row[]).map((r) => String(r.id)).sort();

describe('retries against injected faults (300 devices)', () => {
  let sim: TestSimulator;
  let kit: Kit;
  let machines: string[];
  let vulnerabilities: Map<string, number>;

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 300 });
    machines = ids(await sim.truthRows('machines'));
    vulnerabilities = keyCounts(await sim.truthRows('vulnerabilities'), rowKey);
  });
  afterEach(async () => {
    await sim.admin('DELETE', '/faults');
    await kit?.close();
  });
  afterAll(async () => sim?.close());

  const pullMachines = () => collect(odataPages(kit.client, 'entity', '/api/machines', { pageSize: 70 }));

  it('rides out a 429 storm, honouring Retry-After by pausing the family', async () => {
    kit = await createKit(sim);
    await sim.fault({ kind: '429', path: '/api/machines', count: 6, param: 2 });
    const rows = await pullMachines();
    expect(ids(rows)).toEqual(machines);
    expect(kit.client.stats.retries).toBe(6);
    // Six pauses of Retry-After 2 s, all spent waiting in the limiter.
    expect(kit.client.stats.throttledMs).toBe(12_000);
    expect(kit.client.stats.apiCalls).toBe(5 + 6);
    const retries = kit.logs.filter((l) => l.event === 'retry');
    expect(retries).toHaveLength(6);
    expect(retries[0]?.msg).toMatch(/HTTP 429: Retry-After 2 s/);
  });

  it('rides out bursts of 500, 502, 503 and 504 with backoff', async () => {
    kit = await createKit(sim);
    await sim.fault({
      rules: [
        { kind: '5xx', param: 500, path: '/api/machines', count: 2 },
        { kind: '5xx', param: 502, path: '/api/machines', count: 1 },
        { kind: '5xx', param: 503, path: '/api/machines', count: 1 },
        { kind: '5xx', param: 504, path: '/api/machines', count: 1 },
      ],
    });
    const rows = await pullMachines();
    expect(ids(rows)).toEqual(machines);
    // The first request drew all four rules at once; the next one drew the second 500.
    expect(kit.client.stats.retries).toBe(2);
    expect(kit.time.slept).toBeGreaterThan(0);
  });

  it('rides out connection resets and bodies cut half-way', async () => {
    kit = await createKit(sim);
    await sim.fault({
      rules: [
        { kind: 'reset', path: '/api/machines', count: 3 },
        { kind: 'cut-body', path: '/api/machines', count: 2 },
      ],
    });
    const rows = await pullMachines();
    expect(ids(rows)).toEqual(machines);
    expect(kit.client.stats.retries).toBeGreaterThanOrEqual(3);
    expect(kit.logs.filter((l) => l.event === 'retry').map((l) => l.errorCode)).toContain('UND_ERR_SOCKET');
  });

  it('completes assessment pages through a storm of 429, 5xx and resets, equal to the ground truth', async () => {
    kit = await createKit(sim);
    await sim.fault({
      rules: [
        { kind: '429', path: 'SoftwareVulnerabilitiesByMachine', count: 3, param: 1 },
        { kind: '5xx', path: 'SoftwareVulnerabilitiesByMachine', count: 4, param: 503, probability: 0.5 },
        { kind: 'reset', path: 'SoftwareVulnerabilitiesByMachine', count: 2, probability: 0.3 },
      ],
    });
    const rows = await collect(
      assessmentPages(kit.client, 'SoftwareVulnerabilitiesByMachine', { pageSize: 2000 }),
    );
    expect(keyCounts(rows, rowKey)).toEqual(vulnerabilities);
    const stats = (await sim.admin('GET', '/stats')) as { faults: number };
    expect(kit.client.stats.retries).toBeGreaterThanOrEqual(3);
    expect(kit.client.stats.retries).toBeLessThanOrEqual(stats.faults);
  });

  it('gives up after maxRetries with the last error, saying so', async () => {
    kit = await createKit(sim, { maxRetries: 2 });
    await sim.fault({ kind: '5xx', param: 503, path: '/api/machines', count: 5 });
    const error = (await pullMachines().catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 503, mdeCode: 'InternalServerError', retryable: true });
    expect(error.message).toMatch(/gave up after 2 retries/);
    expect(kit.client.stats.retries).toBe(2);
    expect(kit.client.stats.apiCalls).toBe(3);
  });

  it('gives up on resets after maxRetries with a NetworkError', async () => {
    kit = await createKit(sim, { maxRetries: 1 });
    await sim.fault({ kind: 'reset', path: '/api/machines', count: 3 });
    const error = await pullMachines().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error).toMatchObject({ code: 'network', retryable: true });
  });

  it('never retries a 400', async () => {
    kit = await createKit(sim);
    const error = await kit.client
      .getJson('entity', '/api/machines', { $filter: 'nosuchfield eq 1' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, mdeCode: 'ODataError', retryable: false });
    expect(kit.client.stats.retries).toBe(0);
  });

  it('holds calls back within the documented budget instead of running into 429s', async () => {
    const limited = await startTestSimulator({ devices: 60, rateLimits: 'real' });
    const k = await createKit(limited, { realTime: true });
    const path = '/api/machines/SoftwareVulnerabilitiesExport';
    try {
      // docs/mde-api.md#rate-limits: 5 export calls per minute. The sixth waits in the client, not at the
      // server.
      for (let i = 0; i < 5; i++) await k.client.getJson('assessmentExport', path);
      const sixth = k.client.getJson('assessmentExport', path, undefined, {
        signal: AbortSignal.timeout(300),
      });
      await expect(sixth).rejects.toMatchObject({ name: 'TimeoutError' });
      const stats = (await limited.admin('GET', '/stats')) as {
        throttled: number;
        byBucket: Record<string, number>;
      };
      expect(stats.byBucket.SoftwareVulnerabilitiesExport).toBe(5);
      expect(stats.throttled).toBe(0);
      expect(k.client.stats.apiCalls).toBe(5);
    } finally {
      await k.close();
      await limited.close();
    }
  });
});
