import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes } from '../../src/api/build-api.js';
import { type Access, allows } from '../../src/api/roles.js';
import { LIST_ACCESS, LIST_KINDS, MAX_LIMIT } from '../../src/api/routes/list-routes.js';
import { ConnectorRepository } from '../../src/store/connectors/connector-repository.js';
import { RunRepository } from '../../src/store/runs/run-repository.js';
import { ROLES } from '../../src/store/users/user-repository.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, sync, TEST_SECRETS } from '../helpers/sync-harness.js';
import { openTestStore, type TestStore } from '../helpers/test-stores.js';
import { startWorker, type WorkerProcess } from '../jobs/worker-process.js';
import { errorOf, startTestApi, TEST_PASSWORD, type TestApi } from './api-harness.js';

let sim: TestSimulator;
let ts: TestStore;
let api: TestApi;

beforeAll(async () => {
  sim = await startTestSimulator({ devices: 40 });
  ts = await openTestStore('sqlite');
  await addConnector(ts.store, sim, {
    dataTypes: [
      'machines',
      'vulnerabilities',
      'vulnerability-definitions',
      'software',
      'installed-software',
      'recommendations',
      'alerts',
    ],
  });
  await sync(ts.store, sim, 'full');
  api = await startTestApi(ts.store, sim);
});

afterAll(async () => {
  await api?.close();
  await ts?.drop();
  await sim?.close();
});

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

/**
 * Every route with the least role it needs. Changes aim at things that do not exist (404) or carry a
 * body the route refuses (400), so the table can run as every role without changing anything: what it
 * checks is that the role check comes first.
 */
const ROUTES: Array<{ method: Method; url: string; payload?: unknown; access: Access }> = [
  { method: 'GET', url: '/healthz', access: 'public' },
  { method: 'GET', url: '/api/openapi.json', access: 'public' },
  { method: 'GET', url: '/metrics', access: 'viewer' },
  { method: 'GET', url: '/api/query-fields?entity=hosts', access: 'viewer' },
  { method: 'GET', url: '/api/stats/overview', access: 'viewer' },
  { method: 'GET', url: '/api/stats/dashboard', access: 'viewer' },
  { method: 'POST', url: '/api/auth/login', payload: {}, access: 'public' },
  { method: 'GET', url: '/api/auth/me', access: 'viewer' },
  { method: 'POST', url: '/api/auth/logout', access: 'viewer' },
  ...Object.keys(LIST_KINDS).flatMap((k) => {
    const level = LIST_ACCESS[k as keyof typeof LIST_KINDS] ?? ('viewer' as const);
    return [
      { method: 'GET' as const, url: `/api/${k}?limit=1`, access: level },
      {
        method: 'GET' as const,
        url: `/api/${k}/export?format=ndjson&query=nothing-matches-this`,
        access: level,
      },
    ];
  }),
  { method: 'POST', url: '/api/hosts/999999/actions', payload: {}, access: 'analyst' },
  { method: 'GET', url: '/api/actions/999999', access: 'viewer' },
  { method: 'GET', url: '/api/hosts/999999', access: 'viewer' },
  { method: 'GET', url: '/api/findings/1.999999.1.CVE-0000-0000', access: 'viewer' },
  { method: 'GET', url: '/api/vulnerabilities/CVE-0000-0000', access: 'viewer' },
  { method: 'GET', url: '/api/connectors', access: 'viewer' },
  { method: 'POST', url: '/api/connectors', payload: {}, access: 'admin' },
  { method: 'GET', url: '/api/connectors/none', access: 'viewer' },
  { method: 'PATCH', url: '/api/connectors/none', payload: {}, access: 'admin' },
  { method: 'DELETE', url: '/api/connectors/none', access: 'admin' },
  { method: 'POST', url: '/api/connectors/none/activate', access: 'admin' },
  { method: 'POST', url: '/api/connectors/none/deactivate', access: 'admin' },
  { method: 'POST', url: '/api/connectors/none/test-credentials', access: 'analyst' },
  { method: 'GET', url: '/api/connectors/none/mapping', access: 'viewer' },
  { method: 'GET', url: '/api/connectors/none/scoring', access: 'viewer' },
  { method: 'PUT', url: '/api/connectors/none/scoring', payload: {}, access: 'admin' },
  { method: 'POST', url: '/api/connectors/none/scoring/preview', payload: {}, access: 'admin' },
  { method: 'POST', url: '/api/connectors/none/mapping/clone', access: 'admin' },
  { method: 'POST', url: '/api/connectors/none/mapping/fields', payload: {}, access: 'admin' },
  { method: 'DELETE', url: '/api/connectors/none/mapping/fields/host/customAttributes.x', access: 'admin' },
  { method: 'POST', url: '/api/connectors/none/mapping/reset', access: 'admin' },
  { method: 'POST', url: '/api/connectors/none/runs', payload: { mode: 'auto' }, access: 'analyst' },
  { method: 'GET', url: '/api/runs/999999', access: 'viewer' },
  { method: 'POST', url: '/api/runs/999999/cancel', access: 'analyst' },
  { method: 'GET', url: '/api/runs/999999/events', access: 'viewer' },
  { method: 'GET', url: '/api/users', access: 'admin' },
  { method: 'POST', url: '/api/users', payload: {}, access: 'admin' },
  { method: 'PATCH', url: '/api/users/nobody', payload: { role: 'viewer' }, access: 'admin' },
  { method: 'DELETE', url: '/api/users/nobody', access: 'admin' },
  { method: 'GET', url: '/api/tokens', access: 'admin' },
  { method: 'POST', url: '/api/tokens', payload: { user: 'nobody' }, access: 'admin' },
  { method: 'DELETE', url: '/api/tokens/999999', access: 'admin' },
];

describe('roles: every route × every role', () => {
  for (const route of ROUTES) {
    for (const who of ['anon', ...ROLES] as const) {
      const expected =
        route.access === 'public'
          ? 'allowed'
          : who === 'anon'
            ? 401
            : allows(who, route.access)
              ? 'allowed'
              : 403;
      it(`${route.method} ${route.url} as ${who}: ${expected}`, async () => {
        const res = await api.as(who, {
          method: route.method,
          url: route.url,
          ...(route.payload === undefined ? {} : { payload: route.payload as object }),
        });
        if (expected === 'allowed') expect([401, 403]).not.toContain(res.statusCode);
        else {
          expect(res.statusCode).toBe(expected);
          expect(errorOf(res).code).toBe(expected === 401 ? 'unauthenticated' : 'forbidden');
        }
      });
    }
  }

  it('the table covers every registered route, and the OpenAPI document describes each', async () => {
    const doc = (await api.as('anon', { method: 'GET', url: '/api/openapi.json' })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const described = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
      ),
    );
    const registered = new Set(registeredRoutes(api.app));
    expect(registered.size).toBeGreaterThan(40);
    for (const r of registered) expect(described, `OpenAPI lacks ${r}`).toContain(r);
    const tabled = new Set(ROUTES.map((r) => `${r.method} ${templateOf(r.url)}`));
    for (const r of registered) expect(tabled, `the role table lacks ${r}`).toContain(r);
  });
});

/** The route pattern a table URL hits. */
function templateOf(url: string): string {
  const path = url.split('?')[0]!;
  return path
    .replace(/^\/api\/(hosts|runs|actions)\/999999/, '/api/$1/:id')
    .replace(/^\/api\/findings\/1\.999999\.1\.CVE-0000-0000$/, '/api/findings/:id')
    .replace(/^\/api\/vulnerabilities\/CVE-0000-0000$/, '/api/vulnerabilities/:cveId')
    .replace(/^\/api\/connectors\/none/, '/api/connectors/:name')
    .replace(/\/mapping\/fields\/host\/customAttributes\.x$/, '/mapping/fields/:entity/:target')
    .replace(/^\/api\/users\/nobody$/, '/api/users/:name')
    .replace(/^\/api\/tokens\/999999$/, '/api/tokens/:id');
}

describe('sign-in, sessions and CSRF', () => {
  const login = (username: string, password: string, ip = '10.0.0.1') =>
    api.app.inject({
      method: 'POST',
      url: '/api/auth/login',
      payload: { username, password },
      remoteAddress: ip,
    });

  it('logs in with a session cookie, needs the CSRF token for changes, and logs out', async () => {
    const res = await login('analyst', TEST_PASSWORD);
    expect(res.statusCode).toBe(200);
    const body = res.json() as { user: { name: string; role: string }; csrfToken: string };
    expect(body.user).toEqual({ name: 'analyst', role: 'analyst' });
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).not.toMatch(/Secure/);
    const cookie = setCookie.split(';')[0]!;
    const me = await api.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } });
    expect(me.json()).toMatchObject({ user: { name: 'analyst' }, csrfToken: body.csrfToken });
    const noToken = await api.app.inject({ method: 'POST', url: '/api/auth/logout', headers: { cookie } });
    expect(noToken.statusCode).toBe(403);
    expect(errorOf(noToken).code).toBe('csrf');
    const out = await api.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: { cookie, 'x-csrf-token': body.csrfToken },
    });
    expect(out.statusCode).toBe(200);
    const after = await api.app.inject({ method: 'GET', url: '/api/auth/me', headers: { cookie } });
    expect(after.statusCode).toBe(401);
  });

  it('refuses a wrong password with 401, and throttles a user after repeated failures (429)', async () => {
    const wrong = await login('viewer', 'not the password', '10.0.0.2');
    expect(wrong.statusCode).toBe(401);
    expect(errorOf(wrong).code).toBe('bad-credentials');
    for (let i = 0; i < 5; i++) await login('viewer', 'not the password', `10.0.1.${i}`);
    const throttled = await login('viewer', TEST_PASSWORD, '10.0.0.3');
    expect(throttled.statusCode).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expect(errorOf(throttled).code).toBe('throttled');
  });

  it('names the missing field of a bad login body', async () => {
    const res = await api.app.inject({ method: 'POST', url: '/api/auth/login', payload: { username: 'x' } });
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).details?.map((d) => d.path)).toContain('body.password');
  });

  it('refuses an unknown or revoked bearer token', async () => {
    const res = await api.app.inject({
      method: 'GET',
      url: '/api/hosts',
      headers: { authorization: 'Bearer mdec_nope' },
    });
    expect(res.statusCode).toBe(401);
  });
});

describe('users and tokens', () => {
  it('adds, changes and removes a user; the last admin stays', async () => {
    const add = await api.as('admin', {
      method: 'POST',
      url: '/api/users',
      payload: { name: 'carol', role: 'viewer', password: 'long enough password' },
    });
    expect(add.statusCode).toBe(201);
    expect(add.json()).toMatchObject({ name: 'carol', role: 'viewer' });
    expect(JSON.stringify(add.json())).not.toMatch(/hash|scrypt/i);
    const dup = await api.as('admin', {
      method: 'POST',
      url: '/api/users',
      payload: { name: 'carol', role: 'viewer', password: 'long enough password' },
    });
    expect(dup.statusCode).toBe(409);
    const short = await api.as('admin', {
      method: 'POST',
      url: '/api/users',
      payload: { name: 'dave', role: 'viewer', password: 'short' },
    });
    expect(short.statusCode).toBe(400);
    expect(errorOf(short).details?.[0]?.path).toBe('body.password');
    const patch = await api.as('admin', {
      method: 'PATCH',
      url: '/api/users/carol',
      payload: { role: 'analyst' },
    });
    expect(patch.json()).toMatchObject({ role: 'analyst' });
    const list = await api.as('admin', { method: 'GET', url: '/api/users' });
    expect((list.json() as { items: Array<{ name: string }> }).items.map((u) => u.name)).toContain('carol');
    expect((await api.as('admin', { method: 'DELETE', url: '/api/users/carol' })).statusCode).toBe(204);
    expect((await api.as('admin', { method: 'DELETE', url: '/api/users/carol' })).statusCode).toBe(404);
    const lastAdmin = await api.as('admin', {
      method: 'PATCH',
      url: '/api/users/admin',
      payload: { role: 'viewer' },
    });
    expect(lastAdmin.statusCode).toBe(409);
  });

  it('creates a token shown once, lists it without the token and with last use, and revokes it', async () => {
    const created = await api.as('admin', {
      method: 'POST',
      url: '/api/tokens',
      payload: { user: 'viewer', name: 'script' },
    });
    expect(created.statusCode).toBe(201);
    const { id, token } = created.json() as { id: number; token: string };
    const used = await api.app.inject({
      method: 'GET',
      url: '/api/hosts?limit=1',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(used.statusCode).toBe(200);
    const list = (await api.as('admin', { method: 'GET', url: '/api/tokens' })).json() as {
      items: Array<{ id: number; lastUsedAt: string | null }>;
    };
    expect(JSON.stringify(list)).not.toContain(token);
    expect(list.items.find((t) => t.id === id)?.lastUsedAt).not.toBeNull();
    expect((await api.as('admin', { method: 'DELETE', url: `/api/tokens/${id}` })).statusCode).toBe(204);
    const after = await api.app.inject({
      method: 'GET',
      url: '/api/hosts?limit=1',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(after.statusCode).toBe(401);
  });
});

describe('lists', () => {
  const get = async (url: string) => api.as('viewer', { method: 'GET', url });

  for (const kind of Object.keys(LIST_KINDS)) {
    it(`${kind}: a page with items, nextCursor and total`, async () => {
      const who = LIST_ACCESS[kind as keyof typeof LIST_KINDS] ?? 'viewer';
      const res = await api.as(who, { method: 'GET', url: `/api/${kind}?limit=5` });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { items: unknown[]; nextCursor: string | null; total: number };
      expect(body.items.length).toBe(Math.min(5, body.total));
      expect(body.nextCursor === null).toBe(body.total <= 5);
    });
  }

  it('pages through hosts sorted by risk with a query: every match once, in order, total exact', async () => {
    const all: Array<{ id: number; riskScore: number | null }> = [];
    let cursor: string | null = null;
    let total = -1;
    do {
      const res = await get(
        `/api/hosts?limit=7&sort=-riskScore&query=${encodeURIComponent('status:active')}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.statusCode).toBe(200);
      const body = res.json() as {
        items: Array<{ id: number; riskScore: number | null; status: string }>;
        nextCursor: string | null;
        total: number;
        totalExact?: boolean;
      };
      expect(body.totalExact).toBeUndefined();
      for (const h of body.items) expect(h.status).toBe('active');
      all.push(...body.items);
      total = body.total;
      cursor = body.nextCursor;
    } while (cursor);
    expect(all.length).toBe(total);
    expect(new Set(all.map((h) => h.id)).size).toBe(all.length);
    const scores = all.map((h) => h.riskScore ?? -1);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('a query on a computed field widens the database filter and says the total is an estimate', async () => {
    const res = await get(`/api/hosts?limit=1000&query=${encodeURIComponent('health:Active')}`);
    const body = res.json() as { items: Array<{ defenderHealthStatus: string }>; totalExact?: boolean };
    expect(body.totalExact).toBe(false);
    for (const h of body.items) expect(h.defenderHealthStatus).toBe('Active');
  });

  it('carries the camelCase fields of mdec export, Defender fields included', async () => {
    const body = (await get('/api/hosts?limit=1')).json() as { items: Array<Record<string, unknown>> };
    expect(Object.keys(body.items[0]!)).toEqual(
      expect.arrayContaining(['id', 'name', 'riskScore', 'defenderMachineId', 'portalOverviewUrl']),
    );
  });

  it('400 naming the field: a limit over the maximum, an unknown query field, a bad sort, a foreign cursor, an unknown parameter', async () => {
    const cases: Array<[string, string]> = [
      [`/api/hosts?limit=${MAX_LIMIT + 1}`, 'querystring.limit'],
      ['/api/hosts?query=colour:red', 'querystring.query'],
      ['/api/hosts?sort=-nope', 'querystring.sort'],
      ['/api/hosts?cursor=garbage', 'querystring.cursor'],
      ['/api/hosts?colour=red', 'querystring'],
    ];
    for (const [url, path] of cases) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(errorOf(res).details?.[0]?.path, url).toBe(path);
      expect(res.body).not.toMatch(/at .*\.(ts|js):\d+/);
    }
  });

  it('exports the filtered list as CSV, JSON and JSON lines', async () => {
    const query = encodeURIComponent('severity>=high');
    const csv = await get(`/api/findings/export?format=csv&query=${query}`);
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    const lines = csv.body.trim().split('\r\n');
    const total = ((await get(`/api/findings?query=${query}&limit=1`)).json() as { total: number }).total;
    expect(lines.length - 1).toBe(total);
    const json = (await get(`/api/findings/export?format=json&query=${query}`)).json() as unknown[];
    expect(json.length).toBe(total);
    const nd = (await get(`/api/findings/export?format=ndjson&query=${query}`)).body.trim().split('\n');
    expect(nd.length).toBe(total);
  });
});

describe('details', () => {
  it('a host with its sources, open findings, software, alerts, profiles, risk components and portal links', async () => {
    const page = (
      await api.as('viewer', { method: 'GET', url: '/api/hosts?limit=1&sort=-riskScore' })
    ).json() as { items: Array<{ id: number }> };
    const res = await api.as('viewer', { method: 'GET', url: `/api/hosts/${page.items[0]!.id}` });
    expect(res.statusCode).toBe(200);
    const body = res.json() as Record<string, any>;
    expect(body.host.id).toBe(page.items[0]!.id);
    expect(body.sources[0]).toEqual(
      expect.objectContaining({
        machineId: expect.any(String),
        healthStatus: expect.anything(),
        exposureLevel: expect.anything(),
        rbacGroupName: expect.anything(),
      }),
    );
    expect(body.openFindings.items.length).toBeGreaterThan(0);
    for (const f of body.openFindings.items) expect(f.status).toBe('open');
    expect(Object.keys(body.risk.components)).toEqual(['vulnerability', 'alert', 'defenderRisk', 'exposure']);
    expect(Object.keys(body.portalLinks)).toEqual(['overview', 'vulnerabilities', 'alerts', 'timeline']);
    expect(Array.isArray(body.installedSoftware.items)).toBe(true);
    expect(Array.isArray(body.profiles)).toBe(true);
  });

  it('a finding and a vulnerability; 404 for unknown ones', async () => {
    const f = (
      (await api.as('viewer', { method: 'GET', url: '/api/findings?limit=1' })).json() as {
        items: Array<{ id: string; cveId: string; machineId: string }>;
      }
    ).items[0]!;
    expect(f.id).toMatch(/^\d+\.\d+\.\d+\.CVE-/);
    expect((await api.as('viewer', { method: 'GET', url: `/api/findings/${f.id}` })).json()).toMatchObject({
      id: f.id,
      cveId: f.cveId,
      machineId: f.machineId,
    });
    const v = await api.as('viewer', { method: 'GET', url: `/api/vulnerabilities/${f.cveId}` });
    expect(v.statusCode).toBe(200);
    expect((v.json() as { vulnerability: { id: string } }).vulnerability.id).toBe(f.cveId);
    for (const url of [
      '/api/hosts/999999',
      '/api/findings/1.999999.1.CVE-1900-0001',
      '/api/vulnerabilities/CVE-1900-0001',
      '/api/nothing-here',
    ]) {
      const res = await api.as('viewer', { method: 'GET', url });
      expect(res.statusCode, url).toBe(404);
      expect(errorOf(res).code).toBe('not-found');
    }
    expect((await api.as('viewer', { method: 'GET', url: '/api/hosts/abc' })).statusCode).toBe(400);
    const badFinding = await api.as('viewer', { method: 'GET', url: '/api/findings/999999' });
    expect(badFinding.statusCode).toBe(400);
    expect(errorOf(badFinding).details?.[0]?.path).toBe('params.id');
  });
});

describe('connectors', () => {
  const body = () => ({
    name: 'second',
    tenantId: sim.sim.info.tenantId,
    clientId: sim.sim.info.clientId,
    clientSecret: sim.sim.info.clientSecret,
    cloud: 'custom',
    apiUrl: sim.url,
    loginUrl: sim.url,
    scope: 'https://api.securitycenter.microsoft.com/.default',
    dataTypes: ['machines', 'alerts'],
    staleDays: 30,
  });

  it('adds, reads, changes, pauses and removes a connector; the secret is never returned', async () => {
    const add = await api.as('admin', { method: 'POST', url: '/api/connectors', payload: body() });
    expect(add.statusCode).toBe(201);
    expect(add.body).not.toContain(sim.sim.info.clientSecret);
    expect(add.json()).toMatchObject({
      name: 'second',
      options: { dataTypes: ['machines', 'alerts'], staleDays: 30 },
    });
    expect(
      (await api.as('admin', { method: 'POST', url: '/api/connectors', payload: body() })).statusCode,
    ).toBe(409);
    const patch = await api.as('admin', {
      method: 'PATCH',
      url: '/api/connectors/second',
      payload: { maxRetries: 3, schedule: 'daily@02:00' },
    });
    expect(patch.statusCode).toBe(200);
    expect(patch.json()).toMatchObject({
      schedule: 'daily@02:00',
      options: { maxRetries: 3, staleDays: 30 },
    });
    // null takes an option back to its default, or unsets it; a new connector cannot send null.
    const withLookback = await api.as('admin', {
      method: 'PATCH',
      url: '/api/connectors/second',
      payload: { initialLookbackDays: 90, filter: "healthStatus eq 'Active'" },
    });
    expect(withLookback.json()).toMatchObject({ options: { initialLookbackDays: 90 } });
    const cleared = await api.as('admin', {
      method: 'PATCH',
      url: '/api/connectors/second',
      payload: { initialLookbackDays: null, filter: null, maxRetries: null },
    });
    expect(cleared.statusCode, cleared.body).toBe(200);
    const clearedOptions = (cleared.json() as { options: Record<string, unknown> }).options;
    expect(clearedOptions.initialLookbackDays).toBeUndefined();
    expect(clearedOptions.filter).toBeUndefined();
    expect(clearedOptions.maxRetries).not.toBe(3);
    expect(clearedOptions.staleDays).toBe(30);
    const nullOnAdd = await api.as('admin', {
      method: 'POST',
      url: '/api/connectors',
      payload: { ...body(), name: 'third', filter: null },
    });
    expect(nullOnAdd.statusCode).toBe(400);
    const paused = await api.as('admin', { method: 'POST', url: '/api/connectors/second/deactivate' });
    expect(paused.json()).toMatchObject({ active: false });
    const list = await api.as('viewer', { method: 'GET', url: '/api/connectors' });
    expect(list.body).not.toContain(sim.sim.info.clientSecret);
    expect((await api.as('admin', { method: 'DELETE', url: '/api/connectors/second' })).statusCode).toBe(204);
    expect((await api.as('viewer', { method: 'GET', url: '/api/connectors/second' })).statusCode).toBe(404);
  });

  it('validates as the CLI does, naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...body(), tenantId: 'not a tenant' }, 'body.tenantId'],
      [{ ...body(), clientId: 'nope' }, 'body.clientId'],
      [{ ...body(), dataTypes: ['machines', 'spaceships'] }, 'body.dataTypes.1'],
      [{ ...body(), initialLookbackDays: 5 }, 'body.initialLookbackDays'],
      [{ ...body(), schedule: 'sometimes' }, 'body.schedule'],
      [{ ...body(), colour: 'red' }, 'body'],
    ];
    for (const [payload, path] of cases) {
      const res = await api.as('admin', { method: 'POST', url: '/api/connectors', payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(errorOf(res).details?.[0]?.path, JSON.stringify(payload)).toBe(path);
    }
  });

  it('tests credentials, one result per check', async () => {
    const res = await api.as('analyst', { method: 'POST', url: '/api/connectors/test/test-credentials' });
    expect(res.statusCode).toBe(200);
    const out = res.json() as { ok: boolean; checks: Array<{ check: string; ok: boolean }> };
    expect(out.checks[0]).toMatchObject({ check: 'sign-in', ok: true });
    expect(out.ok).toBe(true);
  });

  it('reads the mapping and the scoring map, and replaces the scoring map from CSV', async () => {
    const mapping = await api.as('viewer', { method: 'GET', url: '/api/connectors/test/mapping?format=csv' });
    expect(mapping.headers['content-type']).toMatch(/text\/csv/);
    const scoring = (
      await api.as('viewer', { method: 'GET', url: '/api/connectors/test/scoring?format=csv' })
    ).body;
    const put = await api.as('admin', {
      method: 'PUT',
      url: '/api/connectors/test/scoring',
      headers: { 'content-type': 'text/csv' },
      payload: scoring,
    });
    expect(put.statusCode).toBe(200);
    const bad = await api.as('admin', {
      method: 'PUT',
      url: '/api/connectors/test/scoring',
      headers: { 'content-type': 'text/csv' },
      payload: 'match,severity,score\nHigh,9,900\n',
    });
    expect(bad.statusCode).toBe(400);
  });
});

describe('system', () => {
  it('healthz, metrics, query fields and the overview', async () => {
    expect((await api.as('anon', { method: 'GET', url: '/healthz' })).json()).toEqual({
      status: 'ok',
      database: 'ok',
    });
    const metrics = await api.as('viewer', { method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('mdec_sync_runs{state="succeeded"}');
    expect(metrics.body).toContain('mdec_http_request_duration_seconds_bucket');
    const fields = (
      await api.as('viewer', { method: 'GET', url: '/api/query-fields?entity=hosts' })
    ).json() as { fields: Array<{ name: string; type: string }> };
    expect(fields.fields).toContainEqual({ name: 'risk', type: 'severity' });
    expect(
      (await api.as('viewer', { method: 'GET', url: '/api/query-fields?entity=planets' })).statusCode,
    ).toBe(400);
    const overview = (await api.as('viewer', { method: 'GET', url: '/api/stats/overview' })).json() as {
      connectors: number;
      hostsByStatus: Record<string, number>;
      hostsByRiskLevel: Record<string, number>;
      openFindingsBySeverity: Record<string, number>;
    };
    const sum = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
    const totalOf = async (url: string) =>
      ((await api.as('viewer', { method: 'GET', url })).json() as { total: number }).total;
    expect(overview.connectors).toBeGreaterThan(0);
    expect(overview.hostsByStatus.active).toBeGreaterThan(0);
    // Merged hosts stand for their survivors and carry no risk level of their own.
    expect(sum(overview.hostsByRiskLevel)).toBe(
      sum(overview.hostsByStatus) - (overview.hostsByStatus.merged ?? 0),
    );
    expect(sum(overview.openFindingsBySeverity)).toBe(
      await totalOf(`/api/findings?limit=1&query=${encodeURIComponent('status:open')}`),
    );
    expect(overview.openFindingsBySeverity['5']).toBe(
      await totalOf(`/api/findings?limit=1&query=${encodeURIComponent('status:open severity:critical')}`),
    );
  });

  it('sends security headers and bounds request bodies', async () => {
    const res = await api.as('anon', { method: 'GET', url: '/healthz' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBeDefined();
    const big = await api.as('admin', {
      method: 'POST',
      url: '/api/users',
      payload: { name: 'x'.repeat(2 * 1024 * 1024) },
    });
    expect(big.statusCode).toBe(413);
    expect(errorOf(big).code).toBe('too-large');
  });
});

describe('runs, run by a separate worker process', () => {
  let worker: WorkerProcess;
  beforeAll(() => {
    worker = startWorker(ts.location);
  });
  afterAll(async () => {
    if (worker.child.exitCode === null) {
      const exited = new Promise((r) => worker.child.once('exit', r));
      worker.child.kill('SIGTERM');
      await exited;
    }
  });

  it('queues a sync (202), refuses a second one (409), streams the worker’s progress then one end event', async () => {
    const start = await api.as('analyst', {
      method: 'POST',
      url: '/api/connectors/test/runs',
      payload: { mode: 'full' },
    });
    expect(start.statusCode).toBe(202);
    const { runId } = start.json() as { runId: number };
    const again = await api.as('analyst', {
      method: 'POST',
      url: '/api/connectors/test/runs',
      payload: { mode: 'full' },
    });
    expect(again.statusCode).toBe(409);
    expect(errorOf(again).code).toBe('run-in-progress');
    const events = await api.as('viewer', { method: 'GET', url: `/api/runs/${runId}/events` });
    expect(events.headers['content-type']).toMatch(/text\/event-stream/);
    const names = [...events.body.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(names).toContain('progress');
    // The worker wrote its progress to the run row; the stream turned it into events.
    const progress = [...events.body.matchAll(/^event: progress\ndata: (.*)$/gm)].map(
      (m) => JSON.parse(m[1]!) as { stream: string; phase: string; outcome?: string },
    );
    expect(progress).toContainEqual({ stream: 'machines', phase: 'start', done: 0 });
    expect(progress).toContainEqual({ stream: 'machines', phase: 'finish', outcome: 'complete' });
    expect(worker.log()).toMatch(/run started/);
    expect(names.filter((n) => n === 'end')).toHaveLength(1);
    expect(names.at(-1)).toBe('end');
    const end = JSON.parse(
      events.body
        .trim()
        .split('\n')
        .at(-1)!
        .replace(/^data: /, ''),
    ) as { id: number; state: string };
    expect(end).toMatchObject({ id: runId, state: 'succeeded' });
    const run = (await api.as('viewer', { method: 'GET', url: `/api/runs/${runId}` })).json() as {
      state: string;
      connector: string;
      counters: Record<string, { fetched: number; inserted: number; updated: number; unchanged: number }>;
      notImported: Array<{ stream: string; count: number; reason: string }>;
    };
    expect(run).toMatchObject({ state: 'succeeded', connector: 'test' });
    // Every fetched record is stored, or listed as not imported with its reason.
    for (const [stream, c] of Object.entries(run.counters)) {
      if (c.fetched === 0) continue; // derived streams (profiles) fetch nothing
      const explained = run.notImported.filter((n) => n.stream === stream).reduce((a, n) => a + n.count, 0);
      expect(c.inserted + c.updated + c.unchanged + explained, stream).toBe(c.fetched);
    }
    const cancel = await api.as('analyst', { method: 'POST', url: `/api/runs/${runId}/cancel` });
    expect(cancel.statusCode).toBe(409);
  });

  it('cancels a running sync', async () => {
    const { runId } = (
      await api.as('analyst', { method: 'POST', url: '/api/connectors/test/runs', payload: { mode: 'full' } })
    ).json() as { runId: number };
    const cancel = await api.as('analyst', { method: 'POST', url: `/api/runs/${runId}/cancel` });
    expect([202, 409]).toContain(cancel.statusCode);
    await api.as('viewer', { method: 'GET', url: `/api/runs/${runId}/events` });
    const run = (await api.as('viewer', { method: 'GET', url: `/api/runs/${runId}` })).json() as {
      state: string;
    };
    expect(cancel.statusCode === 202 ? ['cancelled', 'succeeded'] : ['succeeded']).toContain(run.state);
  });

  it('a run queued for the workers blocks a start (409) and is cancelled at once, as mdec runs cancel', async () => {
    const connector = (await new ConnectorRepository(ts.store, TEST_SECRETS).byName('test'))!;
    const queued = await new RunRepository(ts.store).enqueue(connector.id, 'auto', 'manual', new Date());
    const start = await api.as('analyst', { method: 'POST', url: '/api/connectors/test/runs', payload: {} });
    expect(start.statusCode).toBe(409);
    const cancel = await api.as('analyst', { method: 'POST', url: `/api/runs/${queued}/cancel` });
    expect(cancel.statusCode).toBe(202);
    expect(cancel.json()).toEqual({ runId: queued, state: 'cancelled' });
    const run = (await api.as('viewer', { method: 'GET', url: `/api/runs/${queued}` })).json() as Json;
    expect(run.state).toBe('cancelled');
    const audit = (
      await api.as('admin', {
        method: 'GET',
        url: `/api/audit?query=${encodeURIComponent('action:run.cancel')}`,
      })
    ).json() as { items: Json[] };
    expect(audit.items.at(-1)).toMatchObject({
      actor: 'analyst',
      target: `run ${queued}`,
      detail: 'cancelled',
    });
  });
});

type Json = Record<string, unknown>;
