import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRODUCT_NODE_FLAGS } from '../../bin/node-flags.js';
import { runMdec, spawnMdec } from '../helpers/cli-runner.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';

const PASSWORD = 'an end to end password';

/**
 * `mdec serve` as a user runs it, over real sockets: sign in, add a connector pointing at the
 * simulator, test its credentials, run a sync and follow its events to the end, page through hosts
 * with a query, open a host, and export findings as CSV.
 */
describe('mdec serve end to end', () => {
  let sim: TestSimulator;
  let dir: string;
  let server: ChildProcess;
  let url: string;
  let db: string;
  const env = { MDEC_MASTER_KEY: Buffer.alloc(32, 3).toString('base64'), ADMIN_PASSWORD: PASSWORD };

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 30 });
    dir = mkdtempSync(join(tmpdir(), 'mdec-serve-'));
    db = join(dir, 'mdec.sqlite');
    const add = await runMdec(
      ['--db', db, 'user', 'add', '--name', 'alice', '--role', 'admin', '--password-env', 'ADMIN_PASSWORD'],
      { env },
    );
    expect(add.code, add.stderr).toBe(0);
    server = spawnMdec(['--db', db, '--json', 'serve', '--port', '0'], { env });
    const first = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: server.stdout! });
      lines.once('line', resolve);
      server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    url = (JSON.parse(first) as { url: string }).url;
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await exited;
    }
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs under the product V8 flags in the very process it was started as (same pid)', () => {
    const cmdline = readFileSync(`/proc/${server.pid}/cmdline`, 'utf8').split('\0');
    for (const flag of PRODUCT_NODE_FLAGS) expect(cmdline).toContain(flag);
    expect(cmdline).toContain('serve');
  });

  it('reads the store in read threads of its own, one per core by default (at most four)', () => {
    const names = readdirSync(`/proc/${server.pid}/task`).map((t) =>
      readFileSync(`/proc/${server.pid}/task/${t}/comm`, 'utf8').trim(),
    );
    expect(names.filter((n) => n === 'WorkerThread').length).toBe(Math.min(4, availableParallelism()));
  });

  it('refuses a read-thread count that is not a whole number', async () => {
    const bad = await runMdec(['--db', db, 'serve', '--port', '0', '--read-threads', 'two'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--read-threads must be a whole number (got "two")');
  });

  it('serves a signed-in analyst from first connector to CSV export', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const login = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'alice', password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const { csrfToken } = (await login.json()) as { csrfToken: string };
    const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;
    const call = (path: string, init: RequestInit = {}) =>
      fetch(`${url}${path}`, {
        ...init,
        headers: {
          cookie,
          'x-csrf-token': csrfToken,
          ...(init.body ? { 'content-type': 'application/json' } : {}),
          ...(init.headers ?? {}),
        },
      });

    const created = await call('/api/connectors', {
      method: 'POST',
      body: JSON.stringify({
        name: 'lab',
        tenantId: sim.sim.info.tenantId,
        clientId: sim.sim.info.clientId,
        clientSecret: sim.sim.info.clientSecret,
        cloud: 'custom',
        apiUrl: sim.url,
        loginUrl: sim.url,
        scope: 'https://api.securitycenter.microsoft.com/.default',
        actions: true,
      }),
    });
    expect(created.status).toBe(201);

    const checks = (await (
      await call('/api/connectors/lab/test-credentials', { method: 'POST' })
    ).json()) as { ok: boolean };
    expect(checks.ok).toBe(true);

    const started = await call('/api/connectors/lab/runs', {
      method: 'POST',
      body: JSON.stringify({ mode: 'full' }),
    });
    expect(started.status).toBe(202);
    const { runId } = (await started.json()) as { runId: number };
    const events = await call(`/api/runs/${runId}/events`, { headers: { accept: 'text/event-stream' } });
    expect(events.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await events.text();
    const names = [...text.matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(names).toContain('progress');
    expect(names.at(-1)).toBe('end');
    const end = JSON.parse(
      text
        .trim()
        .split('\n')
        .at(-1)!
        .replace(/^data: /, ''),
    ) as { state: string };
    expect(end.state).toBe('succeeded');

    const seen = new Set<number>();
    let cursor: string | null = null;
    let total = 0;
    do {
      const page = (await (
        await call(
          `/api/hosts?limit=4&sort=-riskScore&query=${encodeURIComponent('status:active')}${cursor ? `&cursor=${cursor}` : ''}`,
        )
      ).json()) as { items: Array<{ id: number }>; nextCursor: string | null; total: number };
      for (const h of page.items) seen.add(h.id);
      total = page.total;
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.size).toBe(total);
    expect(total).toBeGreaterThan(0);

    const host = (await (await call(`/api/hosts/${[...seen][0]}`)).json()) as {
      host: { id: number };
      sources: unknown[];
    };
    expect(host.sources.length).toBeGreaterThan(0);

    // Isolate a healthy onboarded Windows device and follow the action until MDE reports it done.
    const target = (await (
      await call(
        `/api/hosts?limit=1&query=${encodeURIComponent('os:windows AND onboarding:onboarded AND health:active')}`,
      )
    ).json()) as { items: Array<{ id: number }> };
    const isolated = await call(`/api/hosts/${target.items[0]!.id}/actions`, {
      method: 'POST',
      body: JSON.stringify({ type: 'isolate', comment: 'end to end' }),
    });
    expect(isolated.status).toBe(201);
    const action = (await isolated.json()) as { id: number; status: string };
    expect(action.status).toBe('Pending');
    await sim.admin('POST', '/clock/advance', { ms: 10 * 60_000 });
    const polled = (await (await call(`/api/actions/${action.id}`)).json()) as { action: { status: string } };
    expect(polled.action.status).toBe('Succeeded');

    // The server's own worker runs what is queued for the workers (`mdec sync --enqueue`).
    const queued = await runMdec(['--db', db, '--json', 'sync', '--connector', 'lab', '--enqueue'], { env });
    expect(queued.code, queued.stderr).toBe(0);
    const queuedId = (JSON.parse(queued.stdout) as { runId: number }).runId;
    const followed = await (await call(`/api/runs/${queuedId}/events`)).text();
    expect(followed).toMatch(/event: end/);
    const ran = (await (await call(`/api/runs/${queuedId}`)).json()) as { state: string; trigger: string };
    expect(ran.state).toBe('succeeded');

    const csv = await call('/api/findings/export?format=csv');
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toContain('cveId');
    expect(lines.length).toBeGreaterThan(1);
  });
});
