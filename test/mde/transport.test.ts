import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UndiciHttpTransport } from '../../src/mde/http/http-transport.js';
import { readBodyText } from '../../src/mde/http/read-body.js';
import { ConfigError, NetworkError } from '../../src/mde/mde-errors.js';
import { startConnectProxy } from '../helpers/connect-proxy.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';

describe('UndiciHttpTransport', () => {
  let tlsSim: TestSimulator;

  beforeAll(async () => {
    tlsSim = await startTestSimulator({ devices: 5, tls: 'generate', host: '127.0.0.1' });
  });
  afterAll(async () => tlsSim?.close());

  const health = (t: UndiciHttpTransport) =>
    t.request({ method: 'GET', url: `${tlsSim.url}/_sim/health`, headers: {} });

  it('trusts a custom CA given as a file', async () => {
    const caFile = join(tmpdir(), `mdec-ca-${process.pid}.pem`);
    writeFileSync(caFile, tlsSim.sim.info.caCertPem!);
    const transport = new UndiciHttpTransport({ caFile });
    try {
      const res = await health(transport);
      expect(res.status).toBe(200);
      expect(JSON.parse(await readBodyText(res.body, { method: 'GET', url: tlsSim.url }))).toEqual({
        ok: true,
      });
    } finally {
      await transport.close();
    }
  });

  it('refuses an unknown certificate with a non-retryable NetworkError', async () => {
    const transport = new UndiciHttpTransport();
    try {
      const error = await health(transport).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetworkError);
      expect((error as NetworkError).retryable).toBe(false);
      expect((error as NetworkError).errorCode).toMatch(/CERT|SELF_SIGNED/);
    } finally {
      await transport.close();
    }
  });

  it('refuses a CA file that is not a PEM certificate, naming the field', () => {
    expect(() => new UndiciHttpTransport({ caFile: '/nonexistent/ca.pem' })).toThrow(ConfigError);
    try {
      new UndiciHttpTransport({ caFile: '/nonexistent/ca.pem' });
    } catch (error) {
      expect((error as ConfigError).field).toBe('caFile');
    }
  });

  it('goes through an HTTPS proxy when one is configured, and around it for NO_PROXY hosts', async () => {
    const proxy = await startConnectProxy();
    const viaProxy = new UndiciHttpTransport({
      caPem: tlsSim.sim.info.caCertPem!,
      proxy: { httpsProxy: proxy.url, httpProxy: proxy.url, noProxy: '' },
    });
    const direct = new UndiciHttpTransport({
      caPem: tlsSim.sim.info.caCertPem!,
      proxy: { httpsProxy: proxy.url, noProxy: '127.0.0.1' },
    });
    try {
      const res = await health(viaProxy);
      expect(res.status).toBe(200);
      await readBodyText(res.body, { method: 'GET', url: tlsSim.url });
      const port = new URL(tlsSim.url).port;
      expect(proxy.tunnels).toEqual([`127.0.0.1:${port}`]);
      const res2 = await health(direct);
      expect(res2.status).toBe(200);
      await readBodyText(res2.body, { method: 'GET', url: tlsSim.url });
      expect(proxy.tunnels).toHaveLength(1);
    } finally {
      await viaProxy.close();
      await direct.close();
      await proxy.close();
    }
  });

  it('times out a server that never answers', async () => {
    const silent = createServer(() => {
      // never answers
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as { port: number };
    const transport = new UndiciHttpTransport({ headersTimeoutMs: 200 });
    try {
      const error = await transport
        .request({ method: 'GET', url: `http://127.0.0.1:${port}/api/machines`, headers: {} })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(NetworkError);
      expect(error).toMatchObject({ errorCode: 'UND_ERR_HEADERS_TIMEOUT', retryable: true });
    } finally {
      await transport.close();
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });
});
