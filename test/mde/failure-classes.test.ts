import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientCredentialsTokenProvider, type TokenProvider } from '../../src/mde/auth/token-provider.js';
import { classifyFailure, describeFailure, type Failure } from '../../src/mde/classify-failure.js';
import { ClientRateLimiter } from '../../src/mde/http/client-rate-limiter.js';
import { type HttpTransport, UndiciHttpTransport } from '../../src/mde/http/http-transport.js';
import { formatRetryNotice, type RetryNotice } from '../../src/mde/http/retry-notice.js';
import { MdeClient } from '../../src/mde/mde-client.js';
import { ApiError, AuthError, NetworkError, NotLicensedError } from '../../src/mde/mde-errors.js';
import {
  closedPort,
  startRefusingProxy,
  startSilentServer,
  UNRESOLVABLE_HOST,
} from '../helpers/network-faults.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { createKit, VirtualTime } from './mde-test-kit.js';

const SCOPE = 'https://api.securitycenter.microsoft.com/.default';

/** The failure of one GET through a transport, classified. */
async function failureOf(transport: HttpTransport, url: string): Promise<Failure & { error: unknown }> {
  const error = await transport
    .request({ method: 'GET', url, headers: {} })
    .then(() => new Error('the request did not fail'))
    .catch((e: unknown) => e);
  return { ...classifyFailure(error), error };
}

/** A token provider that always hands out the same token (the API tests below need no sign-in). */
const fixedToken: TokenProvider = { getToken: async () => 'token', invalidate() {} };

/** An MDE client with virtual time (backoff costs nothing) that records its retry notices. */
function recordingClient(apiUrl: string, transport: HttpTransport, maxRetries: number, tokens = fixedToken) {
  const notices: RetryNotice[] = [];
  const time = new VirtualTime();
  const client = new MdeClient({
    apiUrl,
    tokenProvider: tokens,
    transport,
    limiter: new ClientRateLimiter({ time }).forApp('tenant', 'client'),
    maxRetries,
    random: () => 0.5,
    onRetry: (n) => notices.push(n),
  });
  return { client, notices, time };
}

describe('failure classes over real sockets', () => {
  const transports: UndiciHttpTransport[] = [];
  const transport = (options: ConstructorParameters<typeof UndiciHttpTransport>[0] = {}) => {
    const t = new UndiciHttpTransport({ proxy: {}, ...options });
    transports.push(t);
    return t;
  };
  afterAll(async () => {
    await Promise.all(transports.map((t) => t.close()));
  });

  it('a closed port on 127.0.0.1 is "connection refused", with the address and a fix naming the URL flags', async () => {
    const port = await closedPort();
    const f = await failureOf(transport(), `http://127.0.0.1:${port}/api/machines?$top=1`);
    expect(f.class).toBe('connection-refused');
    expect(f.errorCode).toBe('ECONNREFUSED');
    expect(f.message).toBe(
      `connect ECONNREFUSED 127.0.0.1:${port} (GET http://127.0.0.1:${port}/api/machines)`,
    );
    expect(f.fix).toMatch(new RegExp(`nothing accepts connections at 127\\.0\\.0\\.1:${port}`));
    expect(f.fix).toMatch(/--api-url/);
  });

  it('a server that accepts and never answers is a "timeout" after the injected limit', async () => {
    const silent = await startSilentServer();
    try {
      const started = Date.now();
      const f = await failureOf(transport({ headersTimeoutMs: 300 }), `${silent.url}/api/machines`);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(f.class).toBe('timeout');
      expect(f.errorCode).toBe('UND_ERR_HEADERS_TIMEOUT');
      expect(f.message).toMatch(`no answer from 127.0.0.1:${silent.port} within 300 ms`);
      expect(f.fix).toMatch(/accepted the connection but did not answer in time/);
    } finally {
      await silent.close();
    }
  });

  it('a TLS handshake that never completes is a connect "timeout"', async () => {
    const silent = await startSilentServer();
    try {
      const f = await failureOf(transport({ connectTimeoutMs: 300 }), `https://127.0.0.1:${silent.port}/`);
      expect(f.class).toBe('timeout');
      expect(f.errorCode).toBe('UND_ERR_CONNECT_TIMEOUT');
      expect(f.message).toMatch(`connect to 127.0.0.1:${silent.port} timed out after 300 ms`);
      expect(f.fix).toMatch(/did not accept a connection in time/);
    } finally {
      await silent.close();
    }
  });

  describe('a TLS server whose certificate is not trusted', () => {
    let tlsSim: TestSimulator;
    beforeAll(async () => {
      tlsSim = await startTestSimulator({ devices: 5, tls: 'generate', host: '127.0.0.1' });
    });
    afterAll(() => tlsSim?.close());

    it('is "TLS certificate", and the fix is --ca-file / MDEC_CA_FILE', async () => {
      const f = await failureOf(transport(), `${tlsSim.url}/_sim/health`);
      expect(f.class).toBe('tls-certificate');
      expect(f.errorCode).toMatch(/SELF_SIGNED|UNABLE_TO/);
      expect(f.message).toMatch(/certificate/);
      expect(f.fix).toMatch(/trusts no certificate authority/);
      expect(f.fix).toMatch(/--ca-file PATH or MDEC_CA_FILE=PATH/);
      expect((f.error as NetworkError).retryable).toBe(false);
    });

    it('during sign-in it is still the certificate, never the credentials', async () => {
      const tokens = new ClientCredentialsTokenProvider({
        tenantId: tlsSim.sim.info.tenantId,
        clientId: tlsSim.sim.info.clientId,
        credential: { kind: 'secret', clientSecret: tlsSim.sim.info.clientSecret },
        loginUrl: tlsSim.sim.info.loginUrl,
        scope: SCOPE,
        transport: transport(),
      });
      const error = await tokens.getToken().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthError);
      const f = classifyFailure(error);
      expect(f.class).toBe('tls-certificate');
      expect(f.message).toMatch(/^sign-in request: /);
      expect(describeFailure(error)).not.toMatch(/secret|client id|tenant id/i);
    });
  });

  it('a host name under .invalid is "DNS", fails at once (no retry), and names the host', async () => {
    const notices: RetryNotice[] = [];
    const tokens = new ClientCredentialsTokenProvider({
      tenantId: 'tenant',
      clientId: 'client',
      credential: { kind: 'secret', clientSecret: 'not-used' },
      loginUrl: `https://${UNRESOLVABLE_HOST}`,
      scope: SCOPE,
      transport: transport(),
      maxRetries: 3,
      onRetry: (n) => notices.push(n),
    });
    const started = Date.now();
    const error = await tokens.getToken().catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(notices).toEqual([]);
    const f = classifyFailure(error);
    expect(f).toMatchObject({ class: 'dns', label: 'DNS', errorCode: 'ENOTFOUND' });
    expect(f.message).toMatch(`getaddrinfo ENOTFOUND ${UNRESOLVABLE_HOST}`);
    expect(f.fix).toMatch(`the host name ${UNRESOLVABLE_HOST} does not resolve`);
    expect(f.fix).toMatch(/--cloud/);
  });

  describe('a proxy that refuses', () => {
    it('407 asks for proxy credentials in HTTPS_PROXY', async () => {
      const proxy = await startRefusingProxy(407);
      try {
        const t = transport({ proxy: { httpProxy: proxy.url, httpsProxy: proxy.url } });
        const f = await failureOf(t, 'https://api.security.microsoft.com/api/machines');
        expect(f.class).toBe('proxy');
        expect(f.status).toBe(407);
        expect(f.message).toMatch(`the proxy ${proxy.url} asks for authentication (407)`);
        expect(f.fix).toMatch(/HTTPS_PROXY=http:\/\/USER:PASSWORD@HOST:PORT/);
      } finally {
        await proxy.close();
      }
    });

    it('another status says the proxy will not reach the host', async () => {
      const proxy = await startRefusingProxy(403);
      try {
        const t = transport({ proxy: { httpsProxy: proxy.url } });
        const f = await failureOf(t, 'https://api.security.microsoft.com/api/machines');
        expect(f.class).toBe('proxy');
        expect(f.message).toMatch(/refused to open a tunnel to api\.security\.microsoft\.com \(403\)/);
        expect(f.fix).toMatch(/NO_PROXY/);
      } finally {
        await proxy.close();
      }
    });

    it('a proxy address where nothing listens is the proxy, not the API host', async () => {
      const port = await closedPort();
      const proxyUrl = `http://user:pw@127.0.0.1:${port}`;
      const t = transport({ proxy: { httpsProxy: proxyUrl } });
      const f = await failureOf(t, 'https://api.security.microsoft.com/api/machines');
      expect(f.class).toBe('proxy');
      expect(f.message).toMatch(`the proxy http://127.0.0.1:${port} cannot be reached`);
      expect(f.message).not.toMatch(/pw/);
      expect(f.fix).toMatch(/HTTPS_PROXY/);
    });

    it('a proxy that drops the connection is the proxy too', async () => {
      const proxy = await startRefusingProxy('close');
      try {
        const t = transport({ proxy: { httpsProxy: proxy.url } });
        const started = Date.now();
        const f = await failureOf(t, 'https://api.security.microsoft.com/api/machines');
        expect(Date.now() - started).toBeLessThan(5000);
        expect(f.class).toBe('proxy');
        expect(f.message).toMatch(
          `the proxy ${proxy.url} closed the connection instead of opening a tunnel to api.security.microsoft.com`,
        );
        expect(f.fix).toMatch(/CONNECT/);
      } finally {
        await proxy.close();
      }
    });
  });

  describe('against the simulator', () => {
    let sim: TestSimulator;
    beforeAll(async () => {
      sim = await startTestSimulator({ devices: 5 });
    });
    afterAll(() => sim?.close());

    it('a wrong client secret is "sign-in refused", with the AADSTS code and how to store a new secret', async () => {
      const kit = await createKit(sim, { credential: { kind: 'secret', clientSecret: 'wrong' } });
      try {
        const error = await kit.tokens.getToken().catch((e: unknown) => e);
        const f = classifyFailure(error);
        expect(f.class).toBe('sign-in');
        expect(f.label).toBe('sign-in refused');
        expect(f.status).toBe(401);
        expect(f.message).toMatch(/AADSTS7000215/);
        expect(f.fix).toMatch(/use the secret value, not its id/);
        expect(f.fix).toMatch(/mdec connector edit --name NAME --client-secret-env VAR/);
      } finally {
        await kit.close();
      }
    });

    it('an HTTP error status is "HTTP status" with a fix for that status', async () => {
      const kit = await createKit(sim);
      try {
        const error = await kit.client.getJson('entity', '/api/no-such-thing').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ApiError);
        const f = classifyFailure(error);
        expect(f).toMatchObject({ class: 'http-status', status: 404 });
        expect(f.fix).toMatch(/--api-url/);
      } finally {
        await kit.close();
      }
    });

    it('a 429 is reported as throttling, with the wait the server asked for', async () => {
      const kit = await createKit(sim);
      try {
        await kit.tokens.getToken();
        const { client, notices } = recordingClient(sim.url, kit.transport, 5, kit.tokens);
        await sim.fault({ kind: '429', path: '/api/machines', count: 2, param: 7 });
        await client.getJson('entity', '/api/machines', { $top: 1 });
        expect(notices.map(formatRetryNotice)).toEqual([
          'throttled, waiting 7 s (1 of 5): GET /api/machines answered 429',
          'throttled, waiting 7 s (2 of 5): GET /api/machines answered 429',
        ]);
      } finally {
        await kit.close();
      }
    });
  });
});

describe('retries are reported as they are scheduled', () => {
  it('every retry of an API request, in the form `retrying in N s (k of n): cause`', async () => {
    const port = await closedPort();
    const t = new UndiciHttpTransport({ proxy: {} });
    try {
      const { client, notices } = recordingClient(`http://127.0.0.1:${port}`, t, 3);
      const error = await client.getJson('entity', '/api/machines').catch((e: unknown) => e);
      expect(notices.map((n) => n.retry)).toEqual([1, 2, 3]);
      const lines = notices.map(formatRetryNotice);
      for (const [i, line] of lines.entries()) {
        expect(line).toMatch(
          new RegExp(
            `^retrying in \\d+(\\.\\d)? s \\(${i + 1} of 3\\): connect ECONNREFUSED 127\\.0\\.0\\.1:${port}$`,
          ),
        );
      }
      // The final error says it gave up, and is still classified by its cause.
      expect(classifyFailure(error).class).toBe('connection-refused');
      expect(classifyFailure(error).message).toBe(
        `connect ECONNREFUSED 127.0.0.1:${port}; gave up after 3 retries (GET http://127.0.0.1:${port}/api/machines)`,
      );
    } finally {
      await t.close();
    }
  });

  it('every retry of a sign-in, and the final error is the network class', async () => {
    const port = await closedPort();
    const t = new UndiciHttpTransport({ proxy: {} });
    const notices: RetryNotice[] = [];
    try {
      const tokens = new ClientCredentialsTokenProvider({
        tenantId: 'tenant',
        clientId: 'client',
        credential: { kind: 'secret', clientSecret: 's3cret-value' },
        loginUrl: `http://127.0.0.1:${port}`,
        scope: SCOPE,
        transport: t,
        maxRetries: 2,
        sleep: async () => {},
        random: () => 0.5,
        onRetry: (n) => notices.push(n),
      });
      const error = await tokens.getToken().catch((e: unknown) => e);
      expect(notices.map(formatRetryNotice)).toEqual([
        `retrying in 0.5 s (1 of 2): connect ECONNREFUSED 127.0.0.1:${port}`,
        `retrying in 1 s (2 of 2): connect ECONNREFUSED 127.0.0.1:${port}`,
      ]);
      expect(notices.every((n) => n.request === 'sign-in')).toBe(true);
      const f = classifyFailure(error);
      expect(f.class).toBe('connection-refused');
      expect(describeFailure(error)).not.toMatch(/s3cret-value|credential|secret/i);
    } finally {
      await t.close();
    }
  });
});

describe('classifyFailure (table)', () => {
  const net = (errorCode: string, detail = `${errorCode} happened`) =>
    new NetworkError(`GET https://api.example.com/x failed: ${errorCode}`, {
      errorCode,
      detail,
      url: 'https://api.example.com/x?sig=REDACTED',
      method: 'GET',
    });

  it.each([
    ['ENOTFOUND', 'dns', /does not resolve/],
    ['EAI_AGAIN', 'dns', /DNS server did not answer/],
    ['ECONNREFUSED', 'connection-refused', /nothing accepts connections at api\.example\.com/],
    ['ETIMEDOUT', 'timeout', /did not accept a connection in time/],
    ['UND_ERR_CONNECT_TIMEOUT', 'timeout', /did not accept a connection in time/],
    ['UND_ERR_HEADERS_TIMEOUT', 'timeout', /did not answer in time/],
    ['UND_ERR_BODY_TIMEOUT', 'timeout', /did not answer in time/],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'tls-certificate', /--ca-file PATH or MDEC_CA_FILE/],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'tls-certificate', /--ca-file PATH or MDEC_CA_FILE/],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'tls-certificate', /--ca-file PATH or MDEC_CA_FILE/],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'tls-certificate', /--ca-file PATH or MDEC_CA_FILE/],
    ['CERT_HAS_EXPIRED', 'tls-certificate', /clock/],
    ['ERR_TLS_CERT_ALTNAME_INVALID', 'tls-certificate', /for another name/],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls-certificate', /does not speak TLS/],
    ['ECONNRESET', 'connection', /was cut/],
    ['EHOSTUNREACH', 'connection', /no route/],
  ])('%s is %s', (code, cls, fix) => {
    const f = classifyFailure(net(code));
    expect(f.class).toBe(cls);
    expect(f.fix).toMatch(fix);
    // The URL in the message has no query (nor its redacted signature).
    expect(f.message).toBe(`${code} happened (GET https://api.example.com/x)`);
  });

  it('a network failure wrapped in a sign-in error is classified by the network cause', () => {
    const wrapped = new AuthError('Sign-in to tenant t failed: ...', { cause: net('ECONNREFUSED') });
    expect(classifyFailure(wrapped).class).toBe('connection-refused');
    expect(classifyFailure(wrapped).message).toMatch(/^sign-in request: /);
  });

  it.each([
    [new ApiError('GET /api/machines answered 403', { status: 403 }), 'http-status', /permission/],
    [new NotLicensedError('not licensed', { status: 403 }), 'http-status', /Vulnerability Management/],
    [new ApiError('answered 500', { status: 500 }), 'http-status', /correlation id/],
    [new ApiError('answered 401', { status: 401 }), 'http-status', /same cloud/],
    [new ApiError('answered 407', { status: 407 }), 'proxy', /HTTPS_PROXY/],
    [new AuthError('token endpoint answered 503', { status: 503 }), 'http-status', /try again later/],
    [new AuthError('bad client', { status: 400, oauthError: 'unauthorized_client' }), 'sign-in', /client id/],
    [
      new AuthError(
        'no consent; admin consent is missing: grant consent for the WindowsDefenderATP permissions',
        {
          status: 400,
          aadsts: 'AADSTS65001',
          oauthError: 'invalid_client',
        },
      ),
      'sign-in',
      /admin consent/,
    ],
  ])('%s', (error, cls, fix) => {
    const f = classifyFailure(error);
    expect(f.class).toBe(cls);
    expect(f.fix).toMatch(fix);
  });

  it('an error that is not a network, HTTP or sign-in failure keeps its own message, with no class', () => {
    const error = new Error('database disk image is malformed');
    expect(classifyFailure(error)).toEqual({ class: 'other', label: 'error', message: error.message });
    expect(describeFailure(error)).toBe('database disk image is malformed');
  });

  it('describeFailure is one line: class, message and fix', () => {
    expect(describeFailure(net('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'))).toMatch(
      /^connection refused: connect ECONNREFUSED 127\.0\.0\.1:1 \(GET https:\/\/api\.example\.com\/x\)\. Fix: nothing accepts/,
    );
  });
});

describe('formatRetryNotice', () => {
  const notice = (delayMs: number, throttled = false): RetryNotice => ({
    request: 'GET /api/machines',
    retry: 3,
    maxRetries: 10,
    delayMs,
    cause: 'connect ECONNREFUSED 127.0.0.1:1234',
    throttled,
  });
  it.each([
    [notice(8000), 'retrying in 8 s (3 of 10): connect ECONNREFUSED 127.0.0.1:1234'],
    [notice(400), 'retrying in 0.4 s (3 of 10): connect ECONNREFUSED 127.0.0.1:1234'],
    [notice(0), 'retrying in 0.0 s (3 of 10): connect ECONNREFUSED 127.0.0.1:1234'],
    [notice(30_000, true), 'throttled, waiting 30 s (3 of 10): GET /api/machines answered 429'],
  ])('%j', (n, line) => {
    expect(formatRetryNotice(n)).toBe(line);
  });
});
