import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RISK_LEVEL_ORDER } from '../../src/normalize/host-risk.js';
import { mdecRunner, spawnMdec } from '../helpers/cli-runner.js';

/** `mdec demo` as a user runs it: the summary, the spread of host risk, and the hints after it. */
describe('mdec demo summary', () => {
  let dir: string;
  let db = '';
  const run = mdecRunner(() => ({ db, cwd: dir }), 'unused');
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mdec-demo-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** `mdec demo --json` of a tenant, in a database of its own. */
  async function demo(devices: number, seed: number) {
    db = join(dir, `seed-${seed}`, 'mdec.sqlite');
    const r = await run([
      '--json',
      'demo',
      '--no-serve',
      '--devices',
      String(devices),
      '--seed',
      String(seed),
    ]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as {
      summary: { hosts: Record<string, number>; hostsByRiskLevel: Record<string, number> };
    };
  }

  // The demo's own tenant, and others: host risk separates hosts like a triage list.
  it.each([1, 2, 3])('spreads host risk on the 1000-device tenant of seed %s', async (seed) => {
    const { summary } = await demo(1000, seed);
    const levels = summary.hostsByRiskLevel;
    const rated = RISK_LEVEL_ORDER.reduce((n, l) => n + (levels[l] ?? 0), 0);
    expect(rated).toBeGreaterThan(900);
    expect(levels.Critical ?? 0, JSON.stringify(levels)).toBeLessThanOrEqual(0.1 * rated);
    for (const level of ['Critical', 'High', 'Medium', 'Low'])
      expect(levels[level] ?? 0, `${level}: ${JSON.stringify(levels)}`).toBeGreaterThan(0);
    // No level holds most hosts.
    for (const level of RISK_LEVEL_ORDER) expect(levels[level] ?? 0).toBeLessThan(0.5 * rated);

    if (seed !== 1) return;
    // The summary counts what the export holds.
    const exported = await run(['export', 'hosts', '--connector', 'demo', '--format', 'ndjson']);
    expect(exported.code, exported.stderr).toBe(0);
    const hosts = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const byStatus: Record<string, number> = {};
    const byLevel: Record<string, number> = {};
    for (const h of hosts) {
      byStatus[String(h.status)] = (byStatus[String(h.status)] ?? 0) + 1;
      const level = String(h.riskLevel ?? 'unrated');
      byLevel[level] = (byLevel[level] ?? 0) + 1;
    }
    expect(summary.hosts).toEqual(byStatus);
    expect(summary.hostsByRiskLevel).toEqual(byLevel);
    expect(byStatus.merged).toBeGreaterThan(0);
  });

  it('prints the risk levels and hints that carry --db and write files', async () => {
    db = join(dir, 'other place', 'demo.sqlite');
    const r = await run(['demo', '--no-serve', '--devices', '60', '--seed', '4']);
    expect(r.code, r.stderr).toBe(0);
    for (const level of RISK_LEVEL_ORDER)
      expect(r.stdout).toMatch(new RegExp(`^ {4}${level} +\\d+ +[\\d.]+%`, 'm'));
    const hints = r.stdout.slice(r.stdout.indexOf('Next'));
    const commands = hints.split('\n').filter((l) => l.includes('npx mdec'));
    expect(commands.length).toBeGreaterThan(2);
    for (const c of commands) {
      expect(c).toContain(`--db '${db}'`);
      // Nothing that prints a whole export on the terminal.
      expect(c.includes('--out ') || c.includes('| head')).toBe(true);
    }
  });

  it('suggests commands without --db for the default database', async () => {
    db = './data/mdec.sqlite';
    const r = await run(['demo', '--no-serve', '--devices', '40', '--seed', '5']);
    expect(r.code, r.stderr).toBe(0);
    const hints = r.stdout.slice(r.stdout.indexOf('Next'));
    expect(hints).toContain('npx mdec export hosts --connector demo');
    expect(hints).not.toContain('--db');
  });

  it('serves the API after the sync until stopped: one JSON line with the URL and a one-time admin password', async () => {
    const child = spawnMdec(
      ['--db', join(dir, 'served', 'mdec.sqlite'), '--json', 'demo', '--devices', '20', '--seed', '2'],
      { cwd: dir, env: { MDEC_MASTER_KEY: Buffer.alloc(32, 5).toString('base64') } },
    );
    try {
      const first = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout! }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`demo exited with ${code}`)));
      });
      const served = JSON.parse(first) as { url: string; username: string; password: string };
      expect(Object.keys(served)).toEqual(['url', 'username', 'password']);
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const login = await fetch(`${served.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: served.username, password: served.password }),
      });
      expect(login.status).toBe(200);
      const cookie = login.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      const hosts = await fetch(`${served.url}/api/hosts?limit=5`, { headers: { cookie } });
      expect(hosts.status).toBe(200);
      const page = (await hosts.json()) as { items: unknown[]; total: number };
      expect(page.total).toBeGreaterThan(0);
      expect(page.items.length).toBeGreaterThan(0);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    }
  }, 120_000);
});
