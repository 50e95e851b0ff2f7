import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';

const ROOT = new URL('../../', import.meta.url).pathname;

/** Runs the built CLI (`bin/mdec.js`) as a user would. */
function runCli(args: string[]) {
  return spawn(process.execPath, [`${ROOT}bin/mdec.js`, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function firstLine(child: ReturnType<typeof runCli>): Promise<string> {
  let out = '';
  for await (const chunk of child.stdout!) {
    out += String(chunk);
    if (out.includes('\n')) break;
  }
  return out.split('\n')[0]!;
}

describe('mdec simulator (CLI)', () => {
  it('prints one JSON line with the connection details once it listens, and serves the API', async () => {
    const child = runCli(['simulator', '--devices', '25', '--seed', '3', '--port', '0']);
    try {
      const info = JSON.parse(await firstLine(child)) as Record<string, string>;
      expect(Object.keys(info).sort()).toEqual([
        'apiUrl',
        'clientId',
        'clientSecret',
        'loginUrl',
        'tenantId',
      ]);
      const tokenRes = await fetch(`${info.loginUrl}/${info.tenantId}/oauth2/v2.0/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: info.clientId!,
          client_secret: info.clientSecret!,
          scope: 'https://api.securitycenter.microsoft.com/.default',
        }),
      });
      const { access_token } = (await tokenRes.json()) as { access_token: string };
      const machines = await fetch(`${info.apiUrl}/api/machines`, {
        headers: { authorization: `Bearer ${access_token}` },
      });
      expect(((await machines.json()) as { value: unknown[] }).value).toHaveLength(25);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  it.each([
    [['simulator', '--devices', 'lots'], /--devices must be an integer/],
    [['simulator', '--rate-limits', 'fast'], /--rate-limits must be "real" or "off"/],
    [['simulator', '--faults', 'explode'], /unknown fault kind/],
    [['simulator', '--no-such-flag'], /unknown option/],
  ])('exits 2 with a clear message for bad flags: %j', async (args, message) => {
    const child = runCli(args);
    let err = '';
    child.stderr!.on('data', (c) => {
      err += String(c);
    });
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });
});

describe('simulator over HTTPS with a generated certificate', () => {
  let sim: TestSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 5, tls: 'generate' });
  });
  afterAll(() => sim.close());

  it('serves sign-in and the API to a client that trusts the printed certificate', async () => {
    expect(sim.url.startsWith('https://127.0.0.1:')).toBe(true);
    const dispatcher = new Agent({ connect: { ca: sim.sim.info.caCertPem! } });
    const tokenRes = await undiciFetch(`${sim.url}/${sim.sim.info.tenantId}/oauth2/token`, {
      method: 'POST',
      dispatcher,
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: sim.sim.info.clientId,
        client_secret: sim.sim.info.clientSecret,
        resource: 'https://api.securitycenter.microsoft.com',
      }),
    });
    expect(tokenRes.status).toBe(200);
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const res = await undiciFetch(`${sim.url}/api/machines`, {
      dispatcher,
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(((await res.json()) as { value: unknown[] }).value).toHaveLength(5);
    await expect(fetch(`${sim.url}/api/machines`)).rejects.toThrow();
  });
});
