import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_ASSERTION_TYPE, createClientAssertion } from '../../mde/auth/client-assertion.js';
import {
  certificateThumbprints,
  generateSelfSignedCertificate,
  type SelfSignedCertificate,
} from '../tls/self-signed.js';
import type { AppRegistration } from './app-registry.js';
import type { EntraErrorBody } from './entra-error.js';
import { decodeJwt, type JsonObject, type JwtAlgorithm, signJwt } from './jwt.js';
import {
  type IssueTokenInput,
  TokenService,
  type TokenSuccessV1,
  type TokenSuccessV2,
} from './token-service.js';

const TENANT = '6f1c2a3b-4d5e-4f60-8a71-b2c3d4e5f607';
const OTHER_TENANT = '0b0b0b0b-1c1c-4d2d-8e3e-4f4f4f4f4f4f';
const SECRET_APP = '11111111-2222-4333-8444-555555555555';
const CERT_APP = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const NO_ROLES_APP = '22222222-3333-4444-8555-666666666666';
const UNCONSENTED_APP = '33333333-4444-4555-8666-777777777777';
const UNKNOWN_APP = '99999999-9999-4999-8999-999999999999';
const SECRET = 'Q~secret.value-1';
const MDE = 'https://api.securitycenter.microsoft.com';
const SCOPE = `${MDE}/.default`;
const HOST = 'https://login.simulator.test';
const V2_URL = `${HOST}/${TENANT}/oauth2/v2.0/token`;
const V1_URL = `${HOST}/${TENANT}/oauth2/token`;
const START = Date.UTC(2025, 0, 15, 12, 0, 0);
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let registered: SelfSignedCertificate;
let unregistered: SelfSignedCertificate;
let signingKey: KeyObject;
let nowMs: number;
let service: TokenService;

beforeAll(async () => {
  [registered, unregistered] = await Promise.all([
    generateSelfSignedCertificate({
      commonName: 'connector-app',
      altNames: [],
      days: 3650,
      notBefore: new Date(START - 86_400_000),
    }),
    generateSelfSignedCertificate({
      commonName: 'stranger',
      altNames: [],
      days: 3650,
      notBefore: new Date(START - 86_400_000),
    }),
  ]);
  signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
});

function apps(): AppRegistration[] {
  return [
    {
      clientId: SECRET_APP,
      displayName: 'MDE connector (secret)',
      secrets: ['an-older-secret', SECRET],
      certificates: [],
      roles: ['Machine.Read.All', 'Vulnerability.Read.All'],
      consented: true,
    },
    {
      clientId: CERT_APP,
      displayName: 'MDE connector (certificate)',
      secrets: [],
      certificates: [registered.certPem],
      roles: ['Alert.Read.All'],
      consented: true,
    },
    {
      clientId: NO_ROLES_APP,
      displayName: 'No roles',
      secrets: [SECRET],
      certificates: [],
      roles: [],
      consented: true,
    },
    {
      clientId: UNCONSENTED_APP,
      displayName: 'Waiting for consent',
      secrets: [SECRET],
      certificates: [],
      roles: ['Machine.Read.All'],
      consented: false,
    },
  ];
}

function makeService(overrides: Partial<ConstructorParameters<typeof TokenService>[0]> = {}): TokenService {
  return new TokenService({
    tenantId: TENANT,
    displayName: 'Contoso',
    domains: ['contoso.onmicrosoft.com'],
    apps: apps(),
    now: () => nowMs,
    signingKey,
    ...overrides,
  });
}

beforeEach(() => {
  nowMs = START;
  service = makeService();
});

function request(form: Record<string, string>, input: Partial<IssueTokenInput> = {}) {
  const endpoint = input.endpoint ?? 'v2';
  return service.issueToken({
    tenantSegment: TENANT,
    endpoint,
    form: new URLSearchParams(form),
    tokenUrl: endpoint === 'v1' ? V1_URL : V2_URL,
    ...input,
  });
}

const secretV2 = (extra: Record<string, string> = {}) => ({
  grant_type: 'client_credentials',
  client_id: SECRET_APP,
  client_secret: SECRET,
  scope: SCOPE,
  ...extra,
});

type Thumbs = ReturnType<typeof certificateThumbprints>;

interface AssertionParts {
  header?: JsonObject;
  claims?: JsonObject;
  key?: KeyObject;
  algorithm?: JwtAlgorithm;
}

/** A hand-made assertion, for the cases createClientAssertion refuses to build. */
function craftAssertion(parts: AssertionParts = {}): string {
  const thumbs = certificateThumbprints(registered.certPem);
  const seconds = Math.floor(nowMs / 1000);
  return signJwt(
    { typ: 'JWT', x5t: thumbs.x5t, 'x5t#S256': thumbs.x5tS256, ...parts.header },
    {
      aud: V2_URL,
      iss: CERT_APP,
      sub: CERT_APP,
      jti: 'jti-1',
      nbf: seconds,
      exp: seconds + 600,
      ...parts.claims,
    },
    parts.key ?? createPrivateKey(registered.keyPem),
    parts.algorithm ?? 'RS256',
  );
}

const assertionForm = (assertion: string, extra: Record<string, string> = {}) => ({
  grant_type: 'client_credentials',
  client_id: CERT_APP,
  client_assertion_type: CLIENT_ASSERTION_TYPE,
  client_assertion: assertion,
  scope: SCOPE,
  ...extra,
});

function claimsOf(accessToken: string): JsonObject {
  const jwt = decodeJwt(accessToken);
  if (!jwt) throw new Error('not a JWT');
  return jwt.payload;
}

interface ErrorCase {
  name: string;
  form: () => Record<string, string>;
  input?: Partial<IssueTokenInput>;
  status: number;
  error: string;
  code: number;
  prefix: string;
}

const errorCases: ErrorCase[] = [
  {
    name: 'unsupported grant type',
    form: () => secretV2({ grant_type: 'password' }),
    status: 400,
    error: 'unsupported_grant_type',
    code: 70003,
    prefix: "The app requested an unsupported grant type 'password'.",
  },
  {
    name: 'missing grant_type',
    form: () => ({ client_id: SECRET_APP, client_secret: SECRET, scope: SCOPE }),
    status: 400,
    error: 'invalid_request',
    code: 900144,
    prefix: "The request body must contain the following parameter: 'grant_type'.",
  },
  {
    name: 'unknown tenant',
    form: () => secretV2(),
    input: { tenantSegment: OTHER_TENANT },
    status: 400,
    error: 'invalid_request',
    code: 90002,
    prefix: `Tenant '${OTHER_TENANT}' not found.`,
  },
  {
    name: 'unknown tenant domain',
    form: () => secretV2(),
    input: { tenantSegment: 'fabrikam.onmicrosoft.com' },
    status: 400,
    error: 'invalid_request',
    code: 90002,
    prefix: "Tenant 'fabrikam.onmicrosoft.com' not found.",
  },
  {
    name: 'missing client_id',
    form: () => ({ grant_type: 'client_credentials', client_secret: SECRET, scope: SCOPE }),
    status: 400,
    error: 'invalid_request',
    code: 900144,
    prefix: "The request body must contain the following parameter: 'client_id'.",
  },
  {
    name: 'unknown client',
    form: () => secretV2({ client_id: UNKNOWN_APP }),
    status: 400,
    error: 'unauthorized_client',
    code: 700016,
    prefix: `Application with identifier '${UNKNOWN_APP}' was not found in the directory 'Contoso'.`,
  },
  {
    name: 'wrong secret',
    form: () => secretV2({ client_secret: 'not-the-secret' }),
    status: 401,
    error: 'invalid_client',
    code: 7000215,
    prefix: 'Invalid client secret provided.',
  },
  {
    name: 'no credential at all',
    form: () => ({ grant_type: 'client_credentials', client_id: SECRET_APP, scope: SCOPE }),
    status: 401,
    error: 'invalid_client',
    code: 7000218,
    prefix: "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  },
  {
    name: 'wrong secret on an app without consent (credentials are checked first)',
    form: () => secretV2({ client_id: UNCONSENTED_APP, client_secret: 'nope' }),
    status: 401,
    error: 'invalid_client',
    code: 7000215,
    prefix: 'Invalid client secret provided.',
  },
  {
    name: 'missing consent',
    form: () => secretV2({ client_id: UNCONSENTED_APP }),
    status: 400,
    error: 'invalid_grant',
    code: 65001,
    prefix: `The user or administrator has not consented to use the application with ID '${UNCONSENTED_APP}' named 'Waiting for consent'.`,
  },
  {
    name: 'a single permission instead of /.default',
    form: () => secretV2({ scope: `${MDE}/Machine.Read.All` }),
    status: 400,
    error: 'invalid_scope',
    code: 1002012,
    prefix: `The provided value for scope ${MDE}/Machine.Read.All is not valid. Client credential flows must have a scope value with /.default`,
  },
  {
    name: 'a bare .default',
    form: () => secretV2({ scope: '.default' }),
    status: 400,
    error: 'invalid_scope',
    code: 1002012,
    prefix: 'The provided value for scope .default is not valid.',
  },
  {
    name: 'two scopes',
    form: () => secretV2({ scope: `${SCOPE} openid` }),
    status: 400,
    error: 'invalid_scope',
    code: 70011,
    prefix: "The provided value for the input parameter 'scope' is not valid.",
  },
  {
    name: 'missing scope on v2',
    form: () => ({ grant_type: 'client_credentials', client_id: SECRET_APP, client_secret: SECRET }),
    status: 400,
    error: 'invalid_request',
    code: 900144,
    prefix: "The request body must contain the following parameter: 'scope'.",
  },
  {
    name: 'unknown resource on v2',
    form: () => secretV2({ scope: 'https://graph.microsoft.com/.default' }),
    status: 400,
    error: 'invalid_resource',
    code: 500011,
    prefix:
      'The resource principal named https://graph.microsoft.com was not found in the tenant named Contoso.',
  },
  {
    name: 'missing resource on v1',
    form: () => ({
      grant_type: 'client_credentials',
      client_id: SECRET_APP,
      client_secret: SECRET,
      scope: SCOPE,
    }),
    input: { endpoint: 'v1' },
    status: 400,
    error: 'invalid_request',
    code: 900144,
    prefix: "The request body must contain the following parameter: 'resource'.",
  },
  {
    name: 'unknown resource on v1',
    form: () => ({
      grant_type: 'client_credentials',
      client_id: SECRET_APP,
      client_secret: SECRET,
      resource: 'https://management.azure.com',
    }),
    input: { endpoint: 'v1' },
    status: 400,
    error: 'invalid_resource',
    code: 500011,
    prefix: 'The resource principal named https://management.azure.com was not found',
  },
  {
    name: 'assertion without client_assertion_type',
    form: () => {
      const { client_assertion_type: _, ...rest } = assertionForm(craftAssertion());
      return rest;
    },
    status: 400,
    error: 'invalid_request',
    code: 900144,
    prefix: "The request body must contain the following parameter: 'client_assertion_type'.",
  },
  {
    name: 'assertion with another assertion type',
    form: () =>
      assertionForm(craftAssertion(), {
        client_assertion_type: 'urn:ietf:params:oauth:grant-type:saml2-bearer',
      }),
    status: 400,
    error: 'invalid_request',
    code: 90011,
    prefix: 'Unexpected client assertion type.',
  },
  {
    name: 'assertion that is not a JWT',
    form: () => assertionForm('not.a-jwt'),
    status: 400,
    error: 'invalid_request',
    code: 50027,
    prefix: 'JWT token is invalid or malformed.',
  },
  {
    name: 'tampered assertion (claims changed after signing)',
    form: () => {
      const [h, , s] = craftAssertion().split('.');
      const forged = Buffer.from(
        JSON.stringify({ aud: V2_URL, iss: CERT_APP, sub: CERT_APP, jti: 'x', exp: 4e9 }),
      );
      return assertionForm(`${h}.${forged.toString('base64url')}.${s}`);
    },
    status: 401,
    error: 'invalid_client',
    code: 700027,
    prefix:
      'Client assertion failed signature validation. [Reason - Key was found, but use of the key to verify',
  },
  {
    name: "assertion signed with another key but naming the registered certificate's thumbprint",
    form: () => assertionForm(craftAssertion({ key: createPrivateKey(unregistered.keyPem) })),
    status: 401,
    error: 'invalid_client',
    code: 700027,
    prefix: 'Client assertion failed signature validation.',
  },
  {
    name: 'assertion signed with an unregistered certificate',
    form: () =>
      assertionForm(
        createClientAssertion({
          clientId: CERT_APP,
          tokenUrl: V2_URL,
          privateKeyPem: unregistered.keyPem,
          certificatePem: unregistered.certPem,
          now: nowMs,
        }),
      ),
    status: 401,
    error: 'invalid_client',
    code: 700027,
    prefix:
      'The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client:',
  },
  {
    name: 'assertion without any thumbprint header',
    form: () => assertionForm(craftAssertion({ header: { x5t: undefined, 'x5t#S256': undefined } })),
    status: 401,
    error: 'invalid_client',
    code: 700027,
    prefix:
      'The certificate with identifier used to sign the client assertion is not registered on application.',
  },
  {
    name: 'expired assertion',
    form: () =>
      assertionForm(
        createClientAssertion({
          clientId: CERT_APP,
          tokenUrl: V2_URL,
          privateKeyPem: registered.keyPem,
          certificatePem: registered.certPem,
          now: nowMs - 2 * 3600_000,
        }),
      ),
    status: 401,
    error: 'invalid_client',
    code: 700024,
    prefix:
      'Client assertion is not within its valid time range. Current time: 2025-01-15T12:00:00.0000000Z,',
  },
  {
    name: 'assertion not valid yet',
    form: () => {
      const later = Math.floor(nowMs / 1000) + 3600;
      return assertionForm(craftAssertion({ claims: { nbf: later, exp: later + 600 } }));
    },
    status: 401,
    error: 'invalid_client',
    code: 700024,
    prefix: 'Client assertion is not within its valid time range.',
  },
  {
    name: "assertion for another tenant's token endpoint",
    form: () =>
      assertionForm(craftAssertion({ claims: { aud: `${HOST}/${OTHER_TENANT}/oauth2/v2.0/token` } })),
    status: 401,
    error: 'invalid_client',
    code: 50012,
    prefix: 'Client assertion audience claim does not match Realm issuer.',
  },
  {
    name: 'assertion with an array audience',
    form: () => assertionForm(craftAssertion({ claims: { aud: [V2_URL, `${HOST}/${TENANT}/v2.0`] } })),
    status: 400,
    error: 'invalid_request',
    code: 50027,
    prefix: 'JWT token is invalid or malformed.',
  },
  {
    name: 'assertion without jti',
    form: () => assertionForm(craftAssertion({ claims: { jti: undefined } })),
    status: 400,
    error: 'invalid_request',
    code: 50027,
    prefix: 'JWT token is invalid or malformed.',
  },
  {
    name: 'assertion whose iss and sub differ',
    form: () => assertionForm(craftAssertion({ claims: { iss: SECRET_APP } })),
    status: 401,
    error: 'invalid_client',
    code: 50048,
    prefix: 'Subject mismatches Issuer claim in the client assertion.',
  },
  {
    name: 'assertion issued for another client id',
    form: () => assertionForm(craftAssertion({ claims: { iss: SECRET_APP, sub: SECRET_APP } })),
    status: 401,
    error: 'invalid_client',
    code: 700021,
    prefix: "Client assertion application identifier doesn't match 'client_id' parameter.",
  },
];

describe('TokenService.issueToken errors', () => {
  it.each(errorCases)('$name → $status $error AADSTS$code', (c) => {
    const res = request(c.form(), c.input);
    const body = res.body as EntraErrorBody;
    expect(res.status).toBe(c.status);
    expect(body.error).toBe(c.error);
    expect(body.error_codes[0]).toBe(c.code);
    expect(body.error_description.startsWith(`AADSTS${c.code}: ${c.prefix}`)).toBe(true);
    expect(body).not.toHaveProperty('access_token');
  });

  it("answers in Entra's exact error shape", () => {
    const res = request(secretV2({ client_secret: 'wrong' }), {
      correlationId: 'c0ffee00-1111-4222-8333-444455556666',
    });
    expect(Object.keys(res.body).sort()).toEqual(
      [
        'correlation_id',
        'error',
        'error_codes',
        'error_description',
        'error_uri',
        'timestamp',
        'trace_id',
      ].sort(),
    );
    const body = res.body as EntraErrorBody;
    expect(body.timestamp).toBe('2025-01-15 12:00:00Z');
    expect(body.trace_id).toMatch(GUID);
    expect(body.correlation_id).toBe('c0ffee00-1111-4222-8333-444455556666');
    expect(body.error_uri).toBe('https://login.microsoftonline.com/error?code=7000215');
    expect(body.error_description).toBe(
      `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${SECRET_APP}'. Trace ID: ${body.trace_id} Correlation ID: ${body.correlation_id} Timestamp: 2025-01-15 12:00:00Z`,
    );
  });

  it('names the thumbprint of an unregistered certificate in upper-case hex', () => {
    const assertion = createClientAssertion({
      clientId: CERT_APP,
      tokenUrl: V2_URL,
      privateKeyPem: unregistered.keyPem,
      certificatePem: unregistered.certPem,
      now: nowMs,
    });
    const hex = Buffer.from(certificateThumbprints(unregistered.certPem).x5t, 'base64url')
      .toString('hex')
      .toUpperCase();
    const body = request(assertionForm(assertion)).body as EntraErrorBody;
    expect(body.error_description).toContain(`Thumbprint of key used by client: '${hex}'`);
    expect(body.error_description).toContain(`app Id '${CERT_APP}'`);
  });

  it('sees changes to the app registrations on the next request', () => {
    const registry = apps();
    service = makeService({ apps: registry });
    expect(request(secretV2({ client_id: UNCONSENTED_APP })).status).toBe(400);
    registry[3]!.consented = true;
    expect(request(secretV2({ client_id: UNCONSENTED_APP })).status).toBe(200);
    registry[0]!.secrets = ['rotated'];
    expect(request(secretV2()).status).toBe(401);
    expect(request(secretV2({ client_secret: 'rotated' })).status).toBe(200);
  });
});

describe('TokenService.issueToken success', () => {
  it('issues a v2 token for a client secret', () => {
    const res = request(secretV2());
    expect(res.status).toBe(200);
    const body = res.body as TokenSuccessV2;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'ext_expires_in', 'token_type']);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, ext_expires_in: 3600 });

    const jwt = decodeJwt(body.access_token);
    expect(jwt?.header).toMatchObject({ alg: 'RS256', typ: 'JWT' });
    const claims = claimsOf(body.access_token);
    const seconds = START / 1000;
    expect(claims).toMatchObject({
      aud: MDE,
      iss: `https://sts.windows.net/${TENANT}/`,
      idp: `https://sts.windows.net/${TENANT}/`,
      iat: seconds,
      nbf: seconds,
      exp: seconds + 3600,
      appid: SECRET_APP,
      appidacr: '1',
      tid: TENANT,
      roles: ['Machine.Read.All', 'Vulnerability.Read.All'],
      ver: '1.0',
    });
    expect(claims.oid).toMatch(GUID);
    expect(claims.sub).toBe(claims.oid);
    expect(claims.uti).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('issues a v1 token with string numbers and the resource, like Entra v1', () => {
    const res = request(
      { grant_type: 'client_credentials', client_id: SECRET_APP, client_secret: SECRET, resource: MDE },
      { endpoint: 'v1' },
    );
    expect(res.status).toBe(200);
    const body = res.body as TokenSuccessV1;
    const seconds = START / 1000;
    expect(body).toMatchObject({
      token_type: 'Bearer',
      expires_in: '3600',
      ext_expires_in: '3600',
      expires_on: String(seconds + 3600),
      not_before: String(seconds),
      resource: MDE,
    });
    expect(claimsOf(body.access_token)).toMatchObject({ aud: MDE, appidacr: '1', ver: '1.0' });
  });

  it.each([
    [
      'the portal scope',
      'https://securitycenter.onmicrosoft.com/windowsatpservice/.default',
      'https://securitycenter.onmicrosoft.com/windowsatpservice',
    ],
    ['the XDR scope', 'https://api.security.microsoft.com/.default', 'https://api.security.microsoft.com'],
    [
      'the GCC High scope',
      'https://securitycenter.onmicrosoft.us/windowsatpservice/.default',
      'https://securitycenter.onmicrosoft.us/windowsatpservice',
    ],
    [
      'the gov API scope',
      'https://api-gov.securitycenter.microsoft.us/.default',
      'https://api-gov.securitycenter.microsoft.us',
    ],
    [
      'the GCC API scope',
      'https://api-gcc.securitycenter.microsoft.us/.default',
      'https://api-gcc.securitycenter.microsoft.us',
    ],
    ['a differently cased scope', 'HTTPS://API.SECURITYCENTER.MICROSOFT.COM/.default', MDE],
  ])('accepts %s', (_name, scope, aud) => {
    const res = request(secretV2({ scope }));
    expect(res.status).toBe(200);
    expect(claimsOf((res.body as TokenSuccessV2).access_token).aud).toBe(aud);
  });

  it('accepts the tenant id in any case and a configured domain', () => {
    expect(request(secretV2(), { tenantSegment: TENANT.toUpperCase() }).status).toBe(200);
    expect(request(secretV2(), { tenantSegment: 'Contoso.OnMicrosoft.com' }).status).toBe(200);
  });

  it('accepts extra resources when configured, and only then', () => {
    expect(request(secretV2({ scope: 'api://mde-sim-test/.default' })).status).toBe(400);
    service = makeService({ extraResources: ['api://mde-sim-test'] });
    const res = request(secretV2({ scope: 'api://mde-sim-test/.default' }));
    expect(res.status).toBe(200);
    expect(claimsOf((res.body as TokenSuccessV2).access_token).aud).toBe('api://mde-sim-test');
  });

  it('uses the configured token lifetime', () => {
    service = makeService({ tokenLifetimeSeconds: 600 });
    const body = request(secretV2()).body as TokenSuccessV2;
    expect(body.expires_in).toBe(600);
    expect(claimsOf(body.access_token).exp).toBe(START / 1000 + 600);
  });

  it('issues a v2 token for a certificate assertion built by createClientAssertion', () => {
    const assertion = createClientAssertion({
      clientId: CERT_APP,
      tokenUrl: V2_URL,
      privateKeyPem: registered.keyPem,
      certificatePem: registered.certPem,
      now: nowMs,
    });
    const res = request(assertionForm(assertion));
    expect(res.status).toBe(200);
    expect(claimsOf((res.body as TokenSuccessV2).access_token)).toMatchObject({
      appid: CERT_APP,
      appidacr: '2',
      roles: ['Alert.Read.All'],
    });
  });

  it('issues a v1 token for a certificate assertion addressed to the v1 endpoint', () => {
    const assertion = createClientAssertion({
      clientId: CERT_APP,
      tokenUrl: V1_URL,
      privateKeyPem: registered.keyPem,
      certificatePem: registered.certPem,
      now: nowMs,
      algorithm: 'PS256',
    });
    const { scope: _, ...form } = assertionForm(assertion, { resource: MDE });
    const res = request(form, { endpoint: 'v1' });
    expect(res.status).toBe(200);
    expect((res.body as TokenSuccessV1).resource).toBe(MDE);
    expect(claimsOf((res.body as TokenSuccessV1).access_token).appidacr).toBe('2');
  });

  it.each([
    ['only x5t', (t: Thumbs): JsonObject => ({ x5t: t.x5t, 'x5t#S256': undefined })],
    ['only x5t#S256', (t: Thumbs): JsonObject => ({ x5t: undefined, 'x5t#S256': t.x5tS256 })],
    [
      'a padded base64 x5t (old ADAL)',
      (t: Thumbs): JsonObject => ({
        x5t: Buffer.from(t.x5t, 'base64url').toString('base64'),
        'x5t#S256': undefined,
      }),
    ],
  ])('finds the certificate by %s', (_name, header) => {
    const thumbs = certificateThumbprints(registered.certPem);
    expect(request(assertionForm(craftAssertion({ header: header(thumbs) }))).status).toBe(200);
  });

  it('tolerates a little clock skew on assertions, and an aud naming the tenant by domain', () => {
    const seconds = Math.floor(nowMs / 1000);
    const slightlyExpired = craftAssertion({ claims: { nbf: seconds - 720, exp: seconds - 120 } });
    expect(request(assertionForm(slightlyExpired)).status).toBe(200);
    const byDomain = craftAssertion({ claims: { aud: `${HOST}/contoso.onmicrosoft.com/oauth2/v2.0/token` } });
    expect(request(assertionForm(byDomain)).status).toBe(200);
  });

  it('omits the roles claim for an app without application permissions', () => {
    const body = request(secretV2({ client_id: NO_ROLES_APP })).body as TokenSuccessV2;
    expect(claimsOf(body.access_token)).not.toHaveProperty('roles');
    const check = service.verifyAccessToken(`Bearer ${body.access_token}`);
    expect(check).toMatchObject({ ok: true, claims: { roles: [] } });
  });

  it('gives every token a unique uti', () => {
    const a = claimsOf((request(secretV2()).body as TokenSuccessV2).access_token).uti;
    const b = claimsOf((request(secretV2()).body as TokenSuccessV2).access_token).uti;
    expect(a).not.toBe(b);
  });
});

describe('createClientAssertion', () => {
  it('builds the header and claims Entra expects', () => {
    const assertion = createClientAssertion({
      clientId: CERT_APP,
      tokenUrl: V2_URL,
      privateKeyPem: registered.keyPem,
      certificatePem: registered.certPem,
      now: nowMs,
      jti: 'fixed-jti',
    });
    const jwt = decodeJwt(assertion);
    const thumbs = certificateThumbprints(registered.certPem);
    expect(jwt?.header).toEqual({ alg: 'RS256', typ: 'JWT', x5t: thumbs.x5t, 'x5t#S256': thumbs.x5tS256 });
    const seconds = START / 1000;
    expect(jwt?.payload).toEqual({
      aud: V2_URL,
      iss: CERT_APP,
      sub: CERT_APP,
      jti: 'fixed-jti',
      nbf: seconds,
      iat: seconds,
      exp: seconds + 600,
    });
  });

  it('refuses a private key that does not belong to the certificate', () => {
    expect(() =>
      createClientAssertion({
        clientId: CERT_APP,
        tokenUrl: V2_URL,
        privateKeyPem: unregistered.keyPem,
        certificatePem: registered.certPem,
      }),
    ).toThrow(/does not match/);
  });
});

describe('TokenService.verifyAccessToken', () => {
  const issue = (form = secretV2()) => (request(form).body as TokenSuccessV2).access_token;

  it('accepts its own token and returns the claims', () => {
    const token = issue();
    expect(service.verifyAccessToken(`Bearer ${token}`)).toEqual({
      ok: true,
      claims: {
        tid: TENANT,
        appid: SECRET_APP,
        aud: MDE,
        roles: ['Machine.Read.All', 'Vulnerability.Read.All'],
        exp: START / 1000 + 3600,
      },
    });
    expect(service.verifyAccessToken(`bearer ${token}`).ok).toBe(true);
  });

  it('rejects the token once the simulated clock reaches its expiry', () => {
    const header = `Bearer ${issue()}`;
    nowMs = START + 3599_000;
    expect(service.verifyAccessToken(header).ok).toBe(true);
    nowMs = START + 3600_000;
    expect(service.verifyAccessToken(header)).toEqual({
      ok: false,
      status: 401,
      code: 'Unauthorized',
      message: 'The access token has expired.',
    });
  });

  it.each([
    ['no header', undefined, /missing/],
    ['another scheme', 'Basic dXNlcjpwYXNz', /Bearer/],
    ['an empty bearer', 'Bearer ', /Bearer/],
    ['garbage', 'Bearer not-a-token', /malformed/],
  ])('rejects %s', (_name, header, message) => {
    const check = service.verifyAccessToken(header);
    expect(check.ok).toBe(false);
    if (!check.ok) {
      expect(check.status).toBe(401);
      expect(check.code).toBe('Unauthorized');
      expect(check.message).toMatch(message);
    }
  });

  it('rejects a token whose claims were changed', () => {
    const [h, p, s] = issue().split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8'));
    claims.roles = ['Machine.Isolate'];
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    expect(service.verifyAccessToken(`Bearer ${forged}`)).toMatchObject({ ok: false, message: /signature/ });
  });

  it('rejects a token signed by another key', () => {
    const stranger = makeService({ signingKey: undefined });
    const token = (
      stranger.issueToken({
        tenantSegment: TENANT,
        endpoint: 'v2',
        form: new URLSearchParams(secretV2()),
        tokenUrl: V2_URL,
      }).body as TokenSuccessV2
    ).access_token;
    expect(service.verifyAccessToken(`Bearer ${token}`)).toMatchObject({ ok: false, message: /signature/ });
  });

  it('rejects a token of another tenant, even with the same key', () => {
    const other = makeService({ tenantId: OTHER_TENANT });
    const form = new URLSearchParams(secretV2());
    const token = (
      other.issueToken({ tenantSegment: OTHER_TENANT, endpoint: 'v2', form, tokenUrl: V2_URL })
        .body as TokenSuccessV2
    ).access_token;
    expect(other.verifyAccessToken(`Bearer ${token}`).ok).toBe(true);
    expect(service.verifyAccessToken(`Bearer ${token}`)).toMatchObject({
      ok: false,
      message: /another tenant/,
    });
  });

  it('rejects an audience this service does not accept', () => {
    const wider = makeService({ extraResources: ['api://mde-sim-test'] });
    const form = new URLSearchParams(secretV2({ scope: 'api://mde-sim-test/.default' }));
    const token = (
      wider.issueToken({ tenantSegment: TENANT, endpoint: 'v2', form, tokenUrl: V2_URL })
        .body as TokenSuccessV2
    ).access_token;
    expect(wider.verifyAccessToken(`Bearer ${token}`).ok).toBe(true);
    expect(service.verifyAccessToken(`Bearer ${token}`)).toMatchObject({ ok: false, message: /audience/ });
  });

  it('revokeAll invalidates earlier tokens but not later ones, even on a frozen clock', () => {
    const before = issue();
    const otherApp = issue(secretV2({ client_id: NO_ROLES_APP }));
    service.revokeAll();
    const after = issue();
    expect(service.verifyAccessToken(`Bearer ${before}`)).toMatchObject({ ok: false, message: /revoked/ });
    expect(service.verifyAccessToken(`Bearer ${otherApp}`).ok).toBe(false);
    expect(service.verifyAccessToken(`Bearer ${after}`).ok).toBe(true);
  });

  it('revokeAll invalidates tokens from earlier instants', () => {
    const before = issue();
    nowMs += 1500;
    service.revokeAll();
    nowMs += 1500;
    expect(service.verifyAccessToken(`Bearer ${before}`).ok).toBe(false);
    expect(service.verifyAccessToken(`Bearer ${issue()}`).ok).toBe(true);
  });

  it('revokeClient invalidates only that app', () => {
    const mine = issue();
    const theirs = issue(secretV2({ client_id: NO_ROLES_APP }));
    service.revokeClient(SECRET_APP.toUpperCase());
    expect(service.verifyAccessToken(`Bearer ${mine}`).ok).toBe(false);
    expect(service.verifyAccessToken(`Bearer ${theirs}`).ok).toBe(true);
    expect(service.verifyAccessToken(`Bearer ${issue()}`).ok).toBe(true);
  });
});
