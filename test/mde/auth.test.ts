import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, AuthError, NotLicensedError } from '../../src/mde/mde-errors.js';
import { assessmentPages } from '../../src/mde/paging/assessment-pages.js';
import { odataPages } from '../../src/mde/paging/odata-pages.js';
import { generateSelfSignedCertificate } from '../../src/simulator/tls/self-signed.js';
import { startTestSimulator, TEST_ORIGIN, type TestSimulator } from '../helpers/simulator-fixture.js';
import { collect, createKit, type Kit, SimClock } from './mde-test-kit.js';

const CERT_APP = '0c0c0c0c-1111-4222-8333-444444444444';
const NO_TVM_APP = '0d0d0d0d-1111-4222-8333-444444444444';
const NO_MACHINE_APP = '0e0e0e0e-1111-4222-8333-444444444444';
const UNCONSENTED_APP = '0f0f0f0f-1111-4222-8333-444444444444';
const SECRET = 'extra-app-secret-value-1';

type Page = { value: unknown[] };

describe('sign-in and tokens against the simulator', () => {
  let sim: TestSimulator;
  let cert: { certPem: string; keyPem: string };
  const kits: Kit[] = [];
  const kit = async (...args: Parameters<typeof createKit>) => {
    const k = await createKit(...args);
    kits.push(k);
    return k;
  };

  beforeAll(async () => {
    // The certificate is valid from simulated time zero, as Entra checks it against its own clock.
    cert = await generateSelfSignedCertificate({
      commonName: 'mde-connector test',
      altNames: [],
      days: 365,
      notBefore: new Date(TEST_ORIGIN - 86_400_000),
    });
    sim = await startTestSimulator({
      devices: 40,
      tokenLifetimeSeconds: 1200,
      extraApps: [
        { clientId: CERT_APP, certificatePem: cert.certPem, roles: ['Machine.Read.All'], consented: true },
        { clientId: NO_TVM_APP, clientSecret: SECRET, roles: ['Machine.Read.All'], consented: true },
        {
          clientId: NO_MACHINE_APP,
          clientSecret: SECRET,
          roles: ['Vulnerability.Read.All'],
          consented: true,
        },
        { clientId: UNCONSENTED_APP, clientSecret: SECRET, roles: ['Machine.Read.All'], consented: false },
      ],
    });
  });

  afterAll(async () => {
    await Promise.all(kits.map((k) => k.close()));
    await sim?.close();
  });

  it('signs in with a client secret, caches the token and calls the API', async () => {
    const { client, tokens, logs } = await kit(sim);
    for (let i = 0; i < 3; i++) {
      const page = await client.getJson<Page>('entity', '/api/machines', { $top: 5 });
      expect(page.value).toHaveLength(5);
    }
    expect(tokens.tokenRequests).toBe(1);
    expect(client.stats).toMatchObject({ apiCalls: 3, retries: 0, tokenRenewals: 0 });
    expect(JSON.stringify(logs)).not.toContain(sim.sim.info.clientSecret);
  });

  it('signs in with a certificate (client assertion)', async () => {
    const { client, tokens } = await kit(sim, {
      clientId: CERT_APP,
      credential: { kind: 'certificate', certificatePem: cert.certPem, privateKeyPem: cert.keyPem },
    });
    const page = await client.getJson<Page>('entity', '/api/machines', { $top: 3 });
    expect(page.value).toHaveLength(3);
    expect(tokens.tokenRequests).toBe(1);
  });

  it('refuses a certificate whose assertion is signed at the wrong time (AADSTS700024)', async () => {
    const { client } = await kit(sim, {
      clientId: CERT_APP,
      credential: { kind: 'certificate', certificatePem: cert.certPem, privateKeyPem: cert.keyPem },
      tokenNow: () => Date.parse('2026-01-01T00:00:00Z'),
    });
    const error = await client.getJson('entity', '/api/machines').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect((error as AuthError).aadsts).toBe('AADSTS700024');
  });

  it('turns Entra errors into AuthError with the AADSTS code, never the secret', async () => {
    const wrong = 'definitely-the-wrong-secret';
    const { client, logs } = await kit(sim, { credential: { kind: 'secret', clientSecret: wrong } });
    const error = (await client.getJson('entity', '/api/machines').catch((e: unknown) => e)) as AuthError;
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({
      code: 'auth',
      aadsts: 'AADSTS7000215',
      oauthError: 'invalid_client',
      status: 401,
    });
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/Invalid client secret provided.*not its id/);
    expect(`${error.message} ${error.description} ${JSON.stringify(logs)}`).not.toContain(wrong);
    // Nothing reached the API.
    expect(client.stats.apiCalls).toBe(0);
  });

  it('reports missing consent as AADSTS65001', async () => {
    const { client } = await kit(sim, {
      clientId: UNCONSENTED_APP,
      credential: { kind: 'secret', clientSecret: SECRET },
    });
    const error = (await client.getJson('entity', '/api/machines').catch((e: unknown) => e)) as AuthError;
    expect(error).toBeInstanceOf(AuthError);
    expect(error.aadsts).toBe('AADSTS65001');
    expect(error.message).toMatch(/consent/);
  });

  it('runs one token request however many calls need a token at once', async () => {
    const { client, tokens } = await kit(sim);
    const pages = await Promise.all(
      Array.from({ length: 10 }, () => client.getJson<Page>('entity', '/api/machines', { $top: 1 })),
    );
    expect(pages.every((p) => p.value.length === 1)).toBe(true);
    expect(tokens.tokenRequests).toBe(1);
  });

  it('renews the token before it expires, with no 401 on the way', async () => {
    const { client, tokens, clock } = await kit(sim);
    await client.getJson('entity', '/api/machines', { $top: 1 });
    // 20-minute tokens are renewed 5 minutes early: at 16 minutes the cached one is still used.
    await clock.advanceMs(16 * 60_000);
    await client.getJson('entity', '/api/machines', { $top: 1 });
    expect(tokens.tokenRequests).toBe(2);
    await clock.advanceHours(1);
    await client.getJson('entity', '/api/machines', { $top: 1 });
    expect(tokens.tokenRequests).toBe(3);
    expect(client.stats.tokenRenewals).toBe(0);
  });

  it('renews once on a 401 when the token expired behind its back', async () => {
    // The provider's clock stands still, so it trusts its token; the simulator says it expired.
    const frozen = (await new SimClock(sim).sync()).ms;
    const { client, tokens } = await kit(sim, { tokenNow: () => frozen });
    await client.getJson('entity', '/api/machines', { $top: 1 });
    await sim.advanceHours(2);
    const page = await client.getJson<Page>('entity', '/api/machines', { $top: 2 });
    expect(page.value).toHaveLength(2);
    // One 401, one renewal, and the retried request went through.
    expect(client.stats.tokenRenewals).toBe(1);
    expect(tokens.tokenRequests).toBe(2);
  });

  it('renews once after the tokens are revoked', async () => {
    const { client, tokens, logs } = await kit(sim);
    await client.getJson('entity', '/api/machines', { $top: 1 });
    await sim.admin('POST', '/tokens/revoke');
    await client.getJson('entity', '/api/machines', { $top: 1 });
    expect(client.stats.tokenRenewals).toBe(1);
    expect(tokens.tokenRequests).toBe(2);
    expect(logs.some((l) => l.event === 'token-invalidated')).toBe(true);
    // The revoke-tokens fault: the request that draws it gets a 401, the renewed one goes through.
    await sim.fault({ kind: 'revoke-tokens', path: '/api/machines', count: 1 });
    const page = await client.getJson<Page>('entity', '/api/machines', { $top: 1 });
    expect(page.value).toHaveLength(1);
    expect(client.stats.tokenRenewals).toBe(2);
  });

  it('believes a second 401 in a row', async () => {
    const { client } = await kit(sim);
    await client.getJson('entity', '/api/machines', { $top: 1 });
    await sim.fault({ kind: 'revoke-tokens', path: '/api/machines', count: 2 });
    const error = (await client.getJson('entity', '/api/machines').catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, mdeCode: 'Unauthorized' });
    expect(client.stats.tokenRenewals).toBe(1);
  });

  it('reports a 403 on TVM endpoints as not licensed, and elsewhere as a plain API error', async () => {
    const noTvm = await kit(sim, {
      clientId: NO_TVM_APP,
      credential: { kind: 'secret', clientSecret: SECRET },
    });
    const machines = await collect(odataPages(noTvm.client, 'entity', '/api/machines', { pageSize: 100 }));
    expect(machines).toHaveLength((await sim.truthRows('machines')).length);
    const error = await collect(assessmentPages(noTvm.client, 'SoftwareVulnerabilitiesByMachine')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NotLicensedError);
    expect(error).toMatchObject({
      code: 'not-licensed',
      status: 403,
      mdeCode: 'Forbidden',
      retryable: false,
    });
    expect((error as Error).message).toMatch(/not licensed or not consented/);
    expect((error as NotLicensedError).target).toMatch(/^[0-9a-f-]{36}$/);
    const catalog = await collect(
      odataPages(noTvm.client, 'tvmEntity', '/api/vulnerabilities', { pageSize: 100 }),
    ).catch((e: unknown) => e);
    expect(catalog).toBeInstanceOf(NotLicensedError);

    const noMachine = await kit(sim, {
      clientId: NO_MACHINE_APP,
      credential: { kind: 'secret', clientSecret: SECRET },
    });
    const denied = await noMachine.client.getJson('entity', '/api/machines').catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(ApiError);
    expect(denied).not.toBeInstanceOf(NotLicensedError);
    expect(denied).toMatchObject({ code: 'api', status: 403 });
  });
});
