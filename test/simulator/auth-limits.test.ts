import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';

const LIMITED_APP = '99999999-0000-4000-8000-000000000001';
const UNCONSENTED_APP = '99999999-0000-4000-8000-000000000002';

async function tokenRequest(sim: TestSimulator, tenant: string, form: Record<string, string>) {
  const res = await fetch(`${sim.url}/${tenant}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: 'https://api.securitycenter.microsoft.com/.default',
      ...form,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('simulator: sign-in and permissions', () => {
  let sim: TestSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator({
      devices: 30,
      tokenLifetimeSeconds: 60,
      extraApps: [
        {
          clientId: LIMITED_APP,
          clientSecret: 'limited-secret',
          roles: ['Machine.Read.All'],
          consented: true,
        },
        {
          clientId: UNCONSENTED_APP,
          clientSecret: 'other-secret',
          roles: ['Machine.Read.All'],
          consented: false,
        },
      ],
    });
  });
  afterAll(() => sim.close());

  it('issues a JWT whose roles claim lists the granted permissions', async () => {
    const token = await sim.signIn();
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as {
      roles: string[];
      tid: string;
    };
    expect(claims.roles).toContain('Vulnerability.Read.All');
    expect(claims.tid).toBe(sim.sim.info.tenantId);
  });

  it('answers sign-in mistakes with Entra error codes', async () => {
    const { tenantId, clientId } = sim.sim.info;
    const cases: Array<[string, Record<string, string>, number, string]> = [
      [
        '00000000-1111-2222-3333-444444444444',
        { client_id: clientId, client_secret: 'x' },
        400,
        'AADSTS90002',
      ],
      [
        tenantId,
        { client_id: '12345678-1234-1234-1234-123456789012', client_secret: 'x' },
        400,
        'AADSTS700016',
      ],
      [tenantId, { client_id: clientId, client_secret: 'wrong-secret' }, 401, 'AADSTS7000215'],
      [tenantId, { client_id: UNCONSENTED_APP, client_secret: 'other-secret' }, 400, 'AADSTS65001'],
    ];
    for (const [tenant, form, status, code] of cases) {
      const res = await tokenRequest(sim, tenant, form);
      expect(res.status, code).toBe(status);
      expect(String(res.body.error_description), code).toMatch(new RegExp(`^${code}`));
    }
  });

  it('answers 401 without a token and 403 when the app lacks the permission', async () => {
    const none = await fetch(`${sim.url}/api/machines`);
    expect(none.status).toBe(401);
    const limited = await sim.signIn(LIMITED_APP, 'limited-secret');
    expect((await sim.get('/api/machines', limited)).status).toBe(200);
    const res = await sim.get('/api/machines/SoftwareVulnerabilitiesByMachine', limited);
    expect(res.status).toBe(403);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('Forbidden');
    expect(body.error.message).toContain('Vulnerability.Read.All');
  });

  it('expires tokens on the simulated clock', async () => {
    const token = await sim.signIn();
    expect((await sim.get('/api/machines?$top=1', token)).status).toBe(200);
    await sim.advanceHours(2 / 60);
    expect((await sim.get('/api/machines?$top=1', token)).status).toBe(401);
  });
});

describe('simulator: documented rate limits', () => {
  let sim: TestSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 10, rateLimits: 'real' });
  });
  afterAll(() => sim.close());

  it('allows 5 export calls a minute and answers the 6th with 429 and Retry-After', async () => {
    for (let i = 0; i < 5; i++) {
      expect((await sim.get('/api/machines/SoftwareVulnerabilitiesExport')).status).toBe(200);
    }
    const res = await sim.get('/api/machines/SoftwareVulnerabilitiesExport');
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('TooManyRequests');
    // Another API keeps its own budget.
    expect((await sim.get('/api/machines/SoftwareInventoryExport')).status).toBe(200);
  });

  it('allows 30 assessment JSON calls a minute', async () => {
    for (let i = 0; i < 30; i++) {
      expect((await sim.get('/api/machines/SoftwareInventoryByMachine?$top=1')).status).toBe(200);
    }
    expect((await sim.get('/api/machines/SoftwareInventoryByMachine?$top=1')).status).toBe(429);
  });

  it('allows 100 machine list calls a minute', async () => {
    for (let i = 0; i < 100; i++) {
      expect((await sim.get('/api/machines?$top=1')).status).toBe(200);
    }
    expect((await sim.get('/api/machines?$top=1')).status).toBe(429);
  });
});
