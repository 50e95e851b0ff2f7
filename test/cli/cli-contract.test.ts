import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completion, connectorAddArgs, ROOT, runMdec, spawnMdec } from '../helpers/cli-runner.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';

const SECRET = 'contract-test-secret';

/** Every command and subcommand a user can run. */
const COMMANDS = [
  ['simulator'],
  ['demo'],
  ['connector', 'add'],
  ['connector', 'edit'],
  ['connector', 'list'],
  ['connector', 'show'],
  ['connector', 'remove'],
  ['test-credentials'],
  ['sync'],
  ['runs', 'list'],
  ['runs', 'show'],
  ['runs', 'cancel'],
  ['worker'],
  ['export'],
  ['mapping', 'show'],
  ['mapping', 'clone'],
  ['mapping', 'add'],
  ['mapping', 'remove'],
  ['mapping', 'reset'],
  ['scoring', 'show'],
  ['scoring', 'set'],
  ['scoring', 'reset'],
  ['scoring', 'rescore'],
  ['action', 'scan'],
  ['action', 'isolate'],
  ['action', 'unisolate'],
  ['action', 'list'],
  ['action', 'show'],
  ['audit'],
  ['migrate'],
];

/** A stack trace or Node's own error dump, which users must never see. */
const INTERNALS = /\n\s+at |node:internal|Error: write EPIPE|Unhandled/;

describe('the mdec command line contract', () => {
  let sim: TestSimulator;
  let dir: string;
  let db: string;
  let firstSync: { code: number; stdout: string; stderr: string };
  const mdec = (args: string[], env: Record<string, string | undefined> = {}) =>
    runMdec(['--db', db, ...args], { cwd: dir, env: { HOME: dir, MDE_SECRET: SECRET, ...env } });

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 60, seed: 3, clientSecret: SECRET, devicesPerFile: 10 });
    dir = mkdtempSync(join(tmpdir(), 'mdec-contract-'));
    db = join(dir, 'mdec.sqlite');
    expect((await mdec(connectorAddArgs(sim))).code).toBe(0);
    firstSync = await mdec(['sync', '--connector', 'lab', '--mode', 'full']);
    expect(firstSync.code, firstSync.stderr).toBe(0);
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('mdec --version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const run = await runMdec(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${pkg.version}\n`);
  });

  it('every command shows the global --db and --json in its help', async () => {
    for (const command of COMMANDS) {
      const run = await runMdec([...command, '--help']);
      expect(run.code, command.join(' ')).toBe(0);
      expect(run.stdout, command.join(' ')).toMatch(/--db <location>/);
      expect(run.stdout, command.join(' ')).toMatch(/--json/);
    }
    // One process per command: start-up time on a busy machine, not the help, sets the duration.
  }, 120_000);

  it('with --json, usage errors and failures are one JSON line on stderr, and stdout stays empty', async () => {
    const cases: Array<[string[], string, number]> = [
      [['--json', 'export', 'nothing'], 'usage', 2],
      [['--json', 'export', 'hosts', '--no-such-flag'], 'usage', 2],
      [['--json', 'connector', 'show', '--name', 'missing'], 'usage', 2],
      [['--json', '--db', join(dir, 'typo.sqlite'), 'connector', 'list'], 'usage', 2],
      [['--json', '--db', 'postgres://mdec:mdec@127.0.0.1:1/x', 'migrate'], 'failure', 1],
    ];
    for (const [args, code, exit] of cases) {
      const run = await mdec(args);
      expect(run.code, args.join(' ')).toBe(exit);
      expect(run.stdout, args.join(' ')).toBe('');
      const lines = run.stderr.trim().split('\n');
      expect(lines, args.join(' ')).toHaveLength(1);
      const parsed = JSON.parse(lines[0]!) as { error: { code: string; message: string } };
      expect(parsed.error.code, args.join(' ')).toBe(code);
      expect(parsed.error.message.length).toBeGreaterThan(0);
    }
  });

  it('a reader that stops early (| head) ends mdec quietly', async () => {
    const child = spawnMdec(['--db', db, 'export', 'findings', '--format', 'ndjson'], { cwd: dir });
    let stderr = '';
    child.stderr!.on('data', (c) => {
      stderr += String(c);
    });
    await once(child.stdout!, 'data');
    child.stdout!.destroy();
    const [code] = (await once(child, 'exit')) as [number];
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('Ctrl-C during an export exits 130 without a stack trace', async () => {
    // Nobody reads stdout: the export fills the pipe and waits, mid-way.
    const child = spawnMdec(['--db', db, 'export', 'findings'], { cwd: dir });
    let stderr = '';
    child.stderr!.on('data', (c) => {
      stderr += String(c);
    });
    await once(child.stdout!, 'readable');
    await sleep(300);
    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(130);
    expect(stderr).toBe('mdec: interrupted (SIGINT)\n');
  });

  it('Ctrl-C during a sync stops it at a checkpoint and exits 130', async () => {
    // Every export file arrives slowly, so the interrupt lands while the sync downloads.
    await sim.fault({ kind: 'slow', path: '/blob/', count: 100, param: 1500 });
    try {
      const child = spawnMdec(['--db', db, 'sync', '--connector', 'lab', '--mode', 'full'], {
        cwd: dir,
        env: { MDE_SECRET: SECRET },
      });
      let stderr = '';
      child.stderr!.on('data', (c) => {
        stderr += String(c);
      });
      const done = completion(child);
      for (let i = 0; i < 200 && !/machines: complete/.test(stderr); i++) await sleep(50);
      expect(stderr).toMatch(/machines: complete/);
      child.kill('SIGINT');
      const run = await done;
      expect(run.code, run.stdout + stderr).toBe(130);
      expect(stderr).not.toMatch(INTERNALS);
      expect(run.stdout).toMatch(/^Run \d+ \(full: [^)]*\) cancelled /);
    } finally {
      await sim.admin('DELETE', '/faults');
    }
  });

  it('file flags name the flag and the file in their errors', async () => {
    const missing = join(dir, 'nowhere', 'secret.txt');
    const add = await mdec([
      ...connectorAddArgs(sim, 'other').filter((a) => a !== '--client-secret-env' && a !== 'MDE_SECRET'),
      '--client-secret-file',
      missing,
    ]);
    expect(add.code).toBe(2);
    expect(add.stderr).toContain(
      `--client-secret-file: cannot read ${missing}: ENOENT (no such file or directory)`,
    );
    const set = await mdec(['scoring', 'set', '--connector', 'lab', '--file', join(dir, 'nowhere.csv')]);
    expect(set.code).toBe(2);
    expect(set.stderr).toContain(`--file: cannot read ${join(dir, 'nowhere.csv')}: ENOENT`);
    const out = await mdec(['export', 'hosts', '--out', join(dir, 'nowhere', 'x.json')]);
    expect(out.stderr).toContain(`--out: cannot write ${join(dir, 'nowhere', 'x.json')}: ENOENT`);
  });

  it('user output carries no internal words', async () => {
    expect(firstSync.stdout + firstSync.stderr).not.toMatch(/findings_cve|_cve\b|\bset \(\d+ rows\)/);
    const file = join(dir, 'one-row.csv');
    writeFileSync(file, 'match,severity,score\nCritical,5,95\n*,3,50\n');
    const set = await mdec(['scoring', 'set', '--connector', 'lab', '--file', file]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).not.toMatch(/\(1 rows\)/);
    expect(set.stdout).toMatch(/1 row\b/);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 0],
  ] as const)('the simulator removes its CA file when it ends on %s', async (signal, exit) => {
    const child = spawnMdec(['simulator', '--tls', '--devices', '3'], { cwd: dir });
    let line = '';
    for await (const chunk of child.stdout!) {
      line += String(chunk);
      if (line.includes('\n')) break;
    }
    const { caCertFile } = JSON.parse(line.split('\n')[0]!) as { caCertFile: string };
    expect(caCertFile.startsWith(dir)).toBe(true);
    expect(existsSync(caCertFile)).toBe(true);
    child.kill(signal);
    const [code] = (await once(child, 'exit')) as [number];
    expect(existsSync(caCertFile)).toBe(false);
    expect(code).toBe(exit);
  });
});
