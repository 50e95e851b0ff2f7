import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/db/open-store.js';
import type { Store } from '../../src/store/db/store.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, sync } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';
import { startTestApi, type TestApi } from './api-harness.js';

type Json = Record<string, unknown>;

/**
 * Repeated reads (docs/api.md#repeated-reads) on both databases: identical requests on an unchanged
 * store share one read, and the first request after a commit (by the server's own connection, or by
 * another process such as a worker) sees it.
 */
describe.each(STORE_KINDS)('repeated reads (%s)', (storeKind) => {
  let sim: TestSimulator;
  let ts: TestStore;
  let api: TestApi;
  let worker: Store;

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 20, seed: 11 });
    ts = await openTestStore(storeKind);
    await addConnector(ts.store, sim, { dataTypes: ['machines', 'vulnerabilities'] }, 'lab');
    expect((await sync(ts.store, sim, 'full', 'lab')).state).toBe('succeeded');
    api = await startTestApi(ts.store, sim);
    worker = await openStore(ts.location);
  }, 120_000);
  afterAll(async () => {
    await worker?.close();
    await api?.close();
    await ts?.drop();
    await sim?.close();
  });

  const get = async (url: string) => {
    const response = await api.as('viewer', { method: 'GET', url });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    return response.body;
  };

  it('answers identical requests on an unchanged store with the same bytes, from one read', async () => {
    const url = '/api/hosts?sort=-riskScore&limit=5&query=status%3Aactive';
    const bodies = await Promise.all(Array.from({ length: 20 }, () => get(url)));
    expect(new Set(bodies).size).toBe(1);
    expect((JSON.parse(bodies[0]!) as { items: Json[] }).items.length).toBeGreaterThan(0);
    expect(await get(url)).toBe(bodies[0]);
    expect(api.ctx.reads.size.entries).toBeGreaterThan(0);
  });

  it('shows a commit of another connection (a worker) in the next answer', async () => {
    const host = (JSON.parse(await get('/api/hosts/1')) as { host: Json }).host;
    const list = '/api/hosts?limit=1000';
    const before = (JSON.parse(await get(list)) as { items: Json[] }).items.find((h) => h.id === 1)!;
    expect(before.hostname).toBe(host.hostname);
    await worker.db.updateTable('hosts').set({ hostname: 'renamed-by-worker' }).where('id', '=', 1).execute();
    expect((JSON.parse(await get('/api/hosts/1')) as { host: Json }).host.hostname).toBe('renamed-by-worker');
    const after = (JSON.parse(await get(list)) as { items: Json[] }).items.find((h) => h.id === 1)!;
    expect(after.hostname).toBe('renamed-by-worker');
  });

  it("shows a commit of the server's own connection in the next answer", async () => {
    const url = '/api/hosts?limit=1&query=name%3Arenamed-by-server';
    expect((JSON.parse(await get(url)) as { total: number }).total).toBe(0);
    await ts.store.db.updateTable('hosts').set({ name: 'renamed-by-server' }).where('id', '=', 2).execute();
    const page = JSON.parse(await get(url)) as { items: Json[]; total: number };
    expect(page.total).toBe(1);
    expect(page.items[0]!.id).toBe(2);
  });

  it('refuses a token revoked, and applies a role lowered, by another process on the next request', async () => {
    const url = '/api/users';
    const asAdmin = () =>
      api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${api.tokens.admin}` } });
    expect((await asAdmin()).statusCode).toBe(200);
    await worker.db.updateTable('users').set({ role: 'viewer' }).where('name', '=', 'admin').execute();
    expect((await asAdmin()).statusCode).toBe(403);
    await worker.db.updateTable('users').set({ role: 'admin' }).where('name', '=', 'admin').execute();
    expect((await asAdmin()).statusCode).toBe(200);
    await worker.db.updateTable('apiTokens').set({ revokedAt: new Date().toISOString() }).execute();
    expect((await asAdmin()).statusCode).toBe(401);
    await worker.db.updateTable('apiTokens').set({ revokedAt: null }).execute();
    expect((await asAdmin()).statusCode).toBe(200);
  });

  it('answers a not-found to every request that shared it, and keeps answers of different URLs apart', async () => {
    const missing = await Promise.all(
      [1, 2, 3].map(() => api.as('viewer', { method: 'GET', url: '/api/hosts/99999' })),
    );
    expect(missing.map((m) => m.statusCode)).toEqual([404, 404, 404]);
    expect(missing.map((m) => (m.json() as { error: { code: string } }).error.code)).toEqual([
      'not-found',
      'not-found',
      'not-found',
    ]);
    const first = await get('/api/hosts?limit=1');
    const second = await get('/api/hosts?limit=2');
    expect((JSON.parse(first) as { items: Json[] }).items).toHaveLength(1);
    expect((JSON.parse(second) as { items: Json[] }).items).toHaveLength(2);
  });
});
