import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_ASSERTION_TYPE, createClientAssertion } from '../../mde/auth/client-assertion.js';
import { generateSelfSignedCertificate, type SelfSignedCertificate } from '../tls/self-signed.js';
import type { EntraErrorBody } from './entra-error.js';
import { handleEntraRequest, TOKEN_BODY_LIMIT_BYTES } from './entra-handler.js';
import { TokenService, type TokenSuccessV1, type TokenSuccessV2 } from './token-service.js';

const TENANT = '6f1c2a3b-4d5e-4f60-8a71-b2c3d4e5f607';
const SECRET_APP = '11111111-2222-4333-8444-555555555555';
const CERT_APP = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const SECRET = 'Q~secret.value-1';
const MDE = 'https://api.securitycenter.microsoft.com';

let cert: SelfSignedCertificate;
let service: TokenService;
let server: http.Server;
let base: string;

beforeAll(async () => {
  cert = await generateSelfSignedCertificate({ commonName: 'connector-app', altNames: [], days: 30 });
  service = new TokenService({
    tenantId: TENANT,
    apps: [
      {
        clientId: SECRET_APP,
        displayName: 'secret app',
        secrets: [SECRET],
        certificates: [],
        roles: ['Machine.Read.All'],
        consented: true,
      },
      {
        clientId: CERT_APP,
        displayName: 'cert app',
        secrets: [],
        certificates: [cert.certPem],
        roles: ['Alert.Read.All'],
        consented: true,
      },
    ],
    now: () => Date.now(),
  });
  server = http.createServer((req, res) => {
    // Like the simulator's dispatcher: the base is the configured address, not the Host header.
    const url = new URL(req.url ?? '/', base);
    handleEntraRequest(service, req, res, url).then(
      (handled) => {
        if (!handled) res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not an Entra path');
      },
      (error: unknown) => {
        res.writeHead(500).end(String(error));
      },
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

const v2Url = () => `${base}/${TENANT}/oauth2/v2.0/token`;
const v1Url = () => `${base}/${TENANT}/oauth2/token`;

function post(url: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(url, { method: 'POST', body: new URLSearchParams(form), headers });
}

describe('handleEntraRequest over HTTP', () => {
  it('issues a v2 token for a client secret, uncached, as JSON', async () => {
    const res = await post(v2Url(), {
      grant_type: 'client_credentials',
      client_id: SECRET_APP,
      client_secret: SECRET,
      scope: `${MDE}/.default`,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('cache-control')).toContain('no-store');
    const body = (await res.json()) as TokenSuccessV2;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(service.verifyAccessToken(`Bearer ${body.access_token}`)).toMatchObject({
      ok: true,
      claims: { appid: SECRET_APP, roles: ['Machine.Read.All'] },
    });
  });

  it('issues a v1 token for a certificate assertion whose aud is the URL it posts to', async () => {
    const assertion = createClientAssertion({
      clientId: CERT_APP,
      tokenUrl: v1Url(),
      privateKeyPem: cert.keyPem,
      certificatePem: cert.certPem,
    });
    const res = await post(v1Url(), {
      grant_type: 'client_credentials',
      client_id: CERT_APP,
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: assertion,
      resource: MDE,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as TokenSuccessV1;
    expect(body.resource).toBe(MDE);
    expect(typeof body.expires_on).toBe('string');
    expect(service.verifyAccessToken(`Bearer ${body.access_token}`).ok).toBe(true);
  });

  it("answers Entra's error JSON and echoes client-request-id", async () => {
    const requestId = '5a5a5a5a-6b6b-4c7c-8d8d-9e9e9e9e9e9e';
    const res = await post(
      v2Url(),
      {
        grant_type: 'client_credentials',
        client_id: SECRET_APP,
        client_secret: 'wrong',
        scope: `${MDE}/.default`,
      },
      { 'client-request-id': requestId },
    );
    expect(res.status).toBe(401);
    expect(res.headers.get('cache-control')).toContain('no-store');
    expect(res.headers.get('client-request-id')).toBe(requestId);
    const body = (await res.json()) as EntraErrorBody;
    expect(body).toMatchObject({
      error: 'invalid_client',
      error_codes: [7000215],
      correlation_id: requestId,
    });
  });

  it('checks an assertion aud against the host the client addressed', async () => {
    const port = (server.address() as AddressInfo).port;
    const tokenUrl = `http://localhost:${port}/${TENANT}/oauth2/v2.0/token`;
    const form = (aud: string) =>
      new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: CERT_APP,
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: createClientAssertion({
          clientId: CERT_APP,
          tokenUrl: aud,
          privateKeyPem: cert.keyPem,
          certificatePem: cert.certPem,
        }),
        scope: `${MDE}/.default`,
      }).toString();
    const viaLocalhost = await rawPost(
      port,
      `/${TENANT}/oauth2/v2.0/token`,
      `localhost:${port}`,
      form(tokenUrl),
    );
    expect(viaLocalhost.status).toBe(200);
    const wrongHost = await rawPost(port, `/${TENANT}/oauth2/v2.0/token`, `localhost:${port}`, form(v2Url()));
    expect(wrongHost.status).toBe(401);
    expect((JSON.parse(wrongHost.body) as EntraErrorBody).error_codes).toEqual([50012]);
  });

  it('takes the tenant segment URL-encoded and in upper case', async () => {
    const res = await post(`${base}/${encodeURIComponent(TENANT.toUpperCase())}/OAuth2/v2.0/token`, {
      grant_type: 'client_credentials',
      client_id: SECRET_APP,
      client_secret: SECRET,
      scope: `${MDE}/.default`,
    });
    expect(res.status).toBe(200);
  });

  it('refuses other methods with 405 and Allow: POST', async () => {
    const res = await fetch(v2Url());
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    const body = (await res.json()) as EntraErrorBody;
    expect(body.error_codes).toEqual([900561]);
    expect(body.error_description).toContain('Received a GET request');
  });

  it('reads only form bodies: JSON looks like a request without grant_type', async () => {
    const res = await fetch(v2Url(), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: SECRET_APP }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as EntraErrorBody;
    expect(body.error_codes).toEqual([900144]);
    expect(body.error_description).toContain("'grant_type'");
  });

  it('refuses bodies over 64 KB with 413', async () => {
    const res = await post(v2Url(), {
      grant_type: 'client_credentials',
      client_id: SECRET_APP,
      client_secret: 'x'.repeat(TOKEN_BODY_LIMIT_BYTES),
      scope: `${MDE}/.default`,
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as EntraErrorBody).error).toBe('invalid_request');
  });

  it('leaves other paths to the caller', async () => {
    for (const path of ['/api/machines', `/${TENANT}/oauth2/v2.0/authorize`, `/${TENANT}/v2.0/token`]) {
      const res = await fetch(`${base}${path}`, { method: 'POST' });
      expect(res.status).toBe(404);
      expect(await res.text()).toBe('not an Entra path');
    }
  });
});

/** A POST with an explicit Host header, which fetch does not let a caller set. */
function rawPost(
  port: number,
  path: string,
  host: string,
  body: string,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent: false,
        headers: {
          Host: host,
          'Content-Type': 'application/x-www-form-urlencoded',
          'Content-Length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
