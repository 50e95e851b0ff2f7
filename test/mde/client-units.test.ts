import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ClientCredentialsTokenProvider, type TokenProvider } from '../../src/mde/auth/token-provider.js';
import { readExportFile, readExportFileBatches } from '../../src/mde/export/export-file-reader.js';
import { requestExport } from '../../src/mde/export/export-request.js';
import { ClientRateLimiter } from '../../src/mde/http/client-rate-limiter.js';
import type { HttpTransport } from '../../src/mde/http/http-transport.js';
import { MdeClient } from '../../src/mde/mde-client.js';
import { ApiError, AuthError, ConfigError, ExportFileError, PagingError } from '../../src/mde/mde-errors.js';
import { odataPages } from '../../src/mde/paging/odata-pages.js';
import { collect, VirtualTime } from './mde-test-kit.js';
import { json, MemoryTransport } from './memory-transport.js';

const API = 'https://api.security.microsoft.com';
const fixedToken: TokenProvider = { getToken: async () => 'token-abc', invalidate: () => {} };

function client(transport: HttpTransport, extra: Partial<ConstructorParameters<typeof MdeClient>[0]> = {}) {
  const time = new VirtualTime();
  return new MdeClient({
    apiUrl: API,
    tokenProvider: fixedToken,
    transport,
    limiter: new ClientRateLimiter({ time }).forApp('t', 'a'),
    random: () => 0.5,
    ...extra,
  });
}

describe('MdeClient.resolve', () => {
  const c = client(new MemoryTransport(() => json(200, {})));

  it('builds OData queries with literal $ and percent-encoded values', () => {
    expect(
      c.resolve('/api/machines', { $top: 100, $filter: "healthStatus eq 'Active'", skip: undefined }),
    ).toBe(`${API}/api/machines?$top=100&$filter=healthStatus%20eq%20%27Active%27`);
  });

  it('replaces parameters of the same name in a nextLink, encoded or not', () => {
    const next = `${API}/api/machines?%24top=70&%24skip=70&x=1`;
    expect(c.resolve(next, { $skip: 140 })).toBe(`${API}/api/machines?%24top=70&x=1&$skip=140`);
  });

  it('refuses to send the token to another host or to a relative path', () => {
    expect(() => c.resolve('https://evil.example.com/api/machines')).toThrow(ConfigError);
    expect(() => c.resolve('http://api.security.microsoft.com/api/machines')).toThrow(
      /refusing to send the access token/,
    );
    expect(() => c.resolve('api/machines')).toThrow(/must start with "\/"/);
    const trusting = client(new MemoryTransport(() => json(200, {})), {
      trustedHosts: ['eu.api.security.microsoft.com'],
    });
    expect(trusting.resolve('https://eu.api.security.microsoft.com/api/machines')).toContain('eu.api');
  });

  it('sends the bearer token and JSON headers, and parses the error envelope', async () => {
    const transport = new MemoryTransport(() =>
      json(404, {
        error: { code: 'ResourceNotFound', message: 'Machine 1 was not found', target: 'corr-1' },
      }),
    );
    const error = (await client(transport)
      .getJson('entity', '/api/machines/1')
      .catch((e: unknown) => e)) as ApiError;
    expect(transport.requests[0]?.headers).toMatchObject({
      authorization: 'Bearer token-abc',
      accept: 'application/json',
    });
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 404,
      mdeCode: 'ResourceNotFound',
      target: 'corr-1',
      retryable: false,
    });
    expect(error.message).toBe(
      'GET /api/machines/1 answered 404 ResourceNotFound: Machine 1 was not found [correlation corr-1]',
    );
  });

  it('reports a 200 that is not JSON as an ApiError', async () => {
    const transport = new MemoryTransport(() => ({ status: 200, body: '<html>proxy login</html>' }));
    await expect(client(transport).getJson('entity', '/api/machines')).rejects.toMatchObject({
      code: 'api',
      message: expect.stringMatching(/not JSON/),
    });
  });
});

describe('odataPages with answers the simulator does not give', () => {
  const page = (ids: string[], next?: string) =>
    json(200, { value: ids.map((id) => ({ id })), '@odata.nextLink': next });

  it('throws on an id repeated on a later page', async () => {
    const transport = new MemoryTransport((_req, i) => (i === 0 ? page(['a', 'b']) : page(['c', 'B'])));
    const error = await collect(
      odataPages(client(transport), 'entity', '/api/machines', { pageSize: 2 }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PagingError);
    expect(error).toMatchObject({ reason: 'repeated-id', path: '/api/machines' });
  });

  it('ignores a nextLink to another host or path and continues with $skip', async () => {
    const transport = new MemoryTransport((_req, i) => {
      if (i === 0) return page(['a', 'b'], 'https://evil.example.com/api/machines?$skip=2');
      if (i === 1) return page(['c', 'd'], `${API}/api/alerts?$skip=4`);
      return page(['e']);
    });
    const rows = await collect(odataPages(client(transport), 'entity', '/api/machines', { pageSize: 2 }));
    expect(rows.map((r) => (r as { id: string }).id)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(transport.requests.map((r) => new URL(r.url).search)).toEqual([
      '?$top=2',
      '?$top=2&$skip=2',
      '?$top=2&$skip=4',
    ]);
    expect(transport.requests.every((r) => r.url.startsWith(API))).toBe(true);
  });

  it('refuses a body that is not an OData collection', async () => {
    const transport = new MemoryTransport(() => json(200, { items: [] }));
    await expect(
      collect(odataPages(client(transport), 'entity', '/api/machines', { pageSize: 2 })),
    ).rejects.toMatchObject({
      reason: 'bad-page',
    });
  });
});

describe('requestExport', () => {
  it('refuses an export link that is not https', async () => {
    const transport = new MemoryTransport(() =>
      json(200, {
        exportFiles: ['http://blob.example.com/x.json.gz?sig=1'],
        generatedTime: '2021-01-11T11:01:00Z',
      }),
    );
    await expect(requestExport(client(transport), 'SoftwareVulnerabilitiesExport')).rejects.toThrow(
      /not an https/,
    );
  });

  it('refuses an answer without exportFiles', async () => {
    const transport = new MemoryTransport(() => json(200, { generatedTime: '2021-01-11T11:01:00Z' }));
    await expect(requestExport(client(transport), 'SoftwareVulnerabilitiesExport')).rejects.toThrow(
      /exportFiles/,
    );
  });
});

describe('readExportFile with files the simulator does not make', () => {
  const URL_ = 'https://blob.example.com/part-0.json.gz?sv=1&sig=SECRET';

  it('rejects lines that are not JSON objects and goes on; blank lines and CRLF are fine', async () => {
    const text = '{"Id":1}\r\n\r\nnot json\n[1,2]\n{"Id":2}\n  \n{"Id":3}';
    const transport = new MemoryTransport(() => ({ status: 200, body: gzipSync(text) }));
    const rejected: string[] = [];
    const rows = [];
    for await (const r of readExportFile(transport, URL_, { onRejected: (x) => rejected.push(x) }))
      rows.push(r);
    expect(rows).toEqual([{ Id: 1 }, { Id: 2 }, { Id: 3 }]);
    expect(rejected).toEqual(['line 3: not a JSON object: "not json"', 'line 4: not a JSON object: "[1,2]"']);
    // Records and rejections arrive in file order, so a caller counting both can resume exactly.
    const events: string[] = [];
    const batches = readExportFileBatches(transport, URL_, {
      batchSize: 10,
      onRejected: (_r, line) => events.push(`bad ${line}`),
    });
    for await (const batch of batches) events.push(`rows ${batch.map((r) => r.Id).join(',')}`);
    expect(events).toEqual(['rows 1', 'bad 3', 'bad 4', 'rows 2,3']);
    expect(transport.requests[0]?.headers).not.toHaveProperty('authorization');
  });

  it('reads an empty gzip stream as a file without rows, and fails a 0-byte body as empty', async () => {
    const emptyGzip = new MemoryTransport(() => ({ status: 200, body: gzipSync('') }));
    expect(await collect(readExportFileBatches(emptyGzip, URL_))).toEqual([]);
    const zeroBytes = new MemoryTransport(() => ({ status: 200, body: '' }));
    const error = (await collect(readExportFileBatches(zeroBytes, URL_)).catch(
      (e: unknown) => e,
    )) as ExportFileError;
    expect(error).toBeInstanceOf(ExportFileError);
    expect(error.reason).toBe('empty');
    expect(error.message).not.toContain('SECRET');
  });

  it('reports a body that is not gzip as truncated, without the SAS signature', async () => {
    const transport = new MemoryTransport(() => ({ status: 200, body: 'plain text' }));
    const error = (await collect(readExportFileBatches(transport, URL_)).catch(
      (e: unknown) => e,
    )) as ExportFileError;
    expect(error).toBeInstanceOf(ExportFileError);
    expect(error.reason).toBe('truncated');
    expect(error.message).not.toContain('SECRET');
  });

  it('resumes after a mid-body drop without repeating or losing lines, and reports bad lines once', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => (i === 10 ? 'garbage' : JSON.stringify({ Id: i })));
    const gz = gzipSync(lines.join('\n'));
    const transport = new MemoryTransport((_req, i) =>
      i === 0
        ? {
            status: 200,
            chunks: [gz.subarray(0, Math.floor(gz.length * 0.6))],
            failAfter: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
          }
        : { status: 200, body: gz },
    );
    const rejected: string[] = [];
    const time = new VirtualTime();
    const ids: number[] = [];
    let retries = 0;
    for await (const batch of readExportFileBatches(transport, URL_, {
      batchSize: 7,
      sleep: time.sleep,
      onRejected: (r) => rejected.push(r),
      onDone: (s) => {
        retries = s.retries;
      },
    })) {
      for (const r of batch) ids.push(r.Id as number);
    }
    expect(retries).toBe(1);
    expect(ids).toEqual(Array.from({ length: 500 }, (_, i) => i).filter((i) => i !== 10));
    expect(rejected).toHaveLength(1);
  });

  it('retries 503 and a refused connection, and fails other statuses plainly', async () => {
    const gz = gzipSync('{"a":1}');
    let n = 0;
    const transport = new MemoryTransport(() => {
      n++;
      if (n === 1) return { status: 503, body: '' };
      if (n === 2) return { networkError: 'ECONNRESET' };
      return { status: 200, body: gz };
    });
    const time = new VirtualTime();
    expect(await collect(readExportFileBatches(transport, URL_, { sleep: time.sleep }))).toEqual([{ a: 1 }]);
    const notFound = new MemoryTransport(() => ({
      status: 404,
      body: '<Error><Code>BlobNotFound</Code></Error>',
    }));
    await expect(collect(readExportFileBatches(notFound, URL_))).rejects.toMatchObject({
      reason: 'http',
      status: 404,
    });
  });

  it('hands out every line in order to a slow consumer of a large file (paused and resumed download)', async () => {
    // Far more lines than the reader queues ahead, with CRLF and lone CR endings among them.
    const endings = ['\n', '\r\n', '\r'];
    const text = Array.from(
      { length: 20_000 },
      (_, i) => `{"Id":${i},"Pad":"${'x'.repeat(i % 50)}"}${endings[i % 3]}`,
    );
    // ~1 MB unzipped: gunzip's 256 KB chunks hold thousands of lines each, beyond what is queued ahead.
    const transport = new MemoryTransport(() => ({ status: 200, body: gzipSync(text.join('')) }));
    const ids: number[] = [];
    let summary: { lines: number; retries: number } | undefined;
    for await (const batch of readExportFileBatches(transport, URL_, {
      batchSize: 100,
      onDone: (s) => {
        summary = s;
      },
    })) {
      for (const r of batch) ids.push(r.Id as number);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(ids).toEqual(Array.from({ length: 20_000 }, (_, i) => i));
    expect(summary).toMatchObject({ lines: 20_000, retries: 0 });
  });
});

describe('ClientCredentialsTokenProvider with a scripted Entra', () => {
  const ok = (expiresIn = 3600) =>
    json(200, {
      token_type: 'Bearer',
      expires_in: expiresIn,
      ext_expires_in: expiresIn,
      access_token: `tok-${Math.random()}`,
    });

  function provider(transport: HttpTransport, now: () => number) {
    const time = new VirtualTime();
    return new ClientCredentialsTokenProvider({
      tenantId: 'tenant',
      clientId: 'client',
      credential: { kind: 'secret', clientSecret: 'the-client-secret' },
      loginUrl: 'https://login.microsoftonline.com',
      scope: 'https://api.securitycenter.microsoft.com/.default',
      transport,
      now,
      sleep: time.sleep,
      random: () => 0.5,
    });
  }

  it('posts the v2 client-credentials form', async () => {
    const transport = new MemoryTransport(() => ok());
    await provider(transport, () => 0).getToken();
    const req = transport.requests[0]!;
    expect(req.url).toBe('https://login.microsoftonline.com/tenant/oauth2/v2.0/token');
    expect(Object.fromEntries(new URLSearchParams(String(req.body)))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'client',
      scope: 'https://api.securitycenter.microsoft.com/.default',
      client_secret: 'the-client-secret',
    });
  });

  it('retries Entra 503s and network failures', async () => {
    const transport = new MemoryTransport((_r, i) =>
      i === 0 ? json(503, {}) : i === 1 ? { networkError: 'ECONNRESET' } : ok(),
    );
    const p = provider(transport, () => 0);
    await expect(p.getToken()).resolves.toMatch(/^tok-/);
    expect(p.tokenRequests).toBe(3);
  });

  it('renews 5 minutes early, and keeps the old token if an early renewal fails transiently', async () => {
    let t = 0;
    let fail = false;
    const transport = new MemoryTransport(() => (fail ? { networkError: 'ECONNREFUSED' } : ok(3600)));
    const p = provider(transport, () => t);
    const first = await p.getToken();
    t = 54 * 60_000;
    expect(await p.getToken()).toBe(first);
    t = 56 * 60_000;
    const second = await p.getToken();
    expect(second).not.toBe(first);
    fail = true;
    t = 56 * 60_000 + 56 * 60_000;
    // Inside the renewal window but not expired: the failure is logged and the token still used.
    expect(await p.getToken()).toBe(second);
    t += 10 * 60_000;
    await expect(p.getToken()).rejects.toBeInstanceOf(AuthError);
  });

  it('keeps at most half of a short lifetime as margin', async () => {
    let t = 0;
    const transport = new MemoryTransport(() => ok(60));
    const p = provider(transport, () => t);
    await p.getToken();
    t = 29_000;
    await p.getToken();
    expect(p.tokenRequests).toBe(1);
    t = 31_000;
    await p.getToken();
    expect(p.tokenRequests).toBe(2);
  });

  it('reads AADSTS from the description when error_codes is missing', async () => {
    const transport = new MemoryTransport(() =>
      json(400, {
        error: 'invalid_request',
        error_description: 'AADSTS90002: Tenant not found. Trace ID: x',
      }),
    );
    const error = (await provider(transport, () => 0)
      .getToken()
      .catch((e: unknown) => e)) as AuthError;
    expect(error).toMatchObject({ aadsts: 'AADSTS90002', status: 400, retryable: false });
    expect(error.message).toBe(
      'Sign-in to tenant tenant failed: AADSTS90002: Tenant not found. (invalid_request); the tenant id is wrong, or the tenant is in another cloud',
    );
  });
});
