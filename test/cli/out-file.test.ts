import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXPORT_KINDS } from '../../src/export/export-kinds.js';
import { completion, connectorAddArgs, ROOT, runMdec, spawnMdec } from '../helpers/cli-runner.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

const SECRET = 'out-file-test-secret';

/** The files of a folder other than the ones a test put there: a partial export left behind shows here. */
function leftovers(dir: string, expected: string[]): string[] {
  return readdirSync(dir).filter((f) => !expected.includes(f));
}

describe.each(STORE_KINDS)('mdec export --out on %s', (kind) => {
  let sim: TestSimulator;
  let full: TestStore;
  let empty: TestStore;
  let dir: string;
  const mdec = (db: TestStore, args: string[]) =>
    runMdec(['--db', db.location, ...args], {
      cwd: dir,
      env: { MDE_SECRET: SECRET, HOME: dir, MDEC_MASTER_KEY: '11'.repeat(32) },
    });

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 30, seed: 5, clientSecret: SECRET });
    full = await openTestStore(kind);
    empty = await openTestStore(kind);
    dir = mkdtempSync(join(tmpdir(), 'mdec-out-'));
    const add = await mdec(full, connectorAddArgs(sim));
    expect(add.code, add.stderr).toBe(0);
    const sync = await mdec(full, ['sync', '--connector', 'lab', '--mode', 'full']);
    expect(sync.code, sync.stderr + sync.stdout).toBe(0);
  });
  afterAll(async () => {
    await sim.close();
    await full.drop();
    await empty.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('replaces the file only once the export is complete', async () => {
    const out = join(dir, 'hosts.csv');
    writeFileSync(out, 'the previous export\n');
    const run = await mdec(full, ['export', 'hosts', '--format', 'csv', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\r\n');
    expect(lines).toHaveLength(31);
    expect(lines[0]).toMatch(/^id,name,/);
    expect(leftovers(dir, ['hosts.csv'])).toEqual([]);
  });

  it('a failed export leaves the previous file as it was and no partial file', async () => {
    const out = join(dir, 'alerts.json');
    writeFileSync(out, 'the previous export\n');
    // The table the export reads is gone after the file was opened: the export fails mid-way.
    await sql`alter table alerts rename to alerts_away`.execute(full.store.db);
    try {
      const run = await mdec(full, ['export', 'alerts', '--out', out]);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(/alerts/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await sql`alter table alerts_away rename to alerts`.execute(full.store.db);
    }
    expect(readFileSync(out, 'utf8')).toBe('the previous export\n');
    expect(leftovers(dir, ['alerts.json', 'hosts.csv'])).toEqual([]);
  });

  it('a write that fails mid-way (file too large) keeps the previous file and removes the partial one', async () => {
    const out = join(dir, 'findings.json');
    writeFileSync(out, 'the previous export\n');
    // A file-size limit of 32 KiB makes the export's writes fail after the first ones succeeded.
    const run = await completion(
      spawn(
        'sh',
        [
          '-c',
          'ulimit -f 32; exec "$0" "$@"',
          process.execPath,
          `${ROOT}bin/mdec.js`,
          '--db',
          full.location,
          'export',
          'findings',
          '--out',
          out,
        ],
        {
          cwd: dir,
          env: { ...process.env, HOME: dir, MDEC_MASTER_KEY: '11'.repeat(32) },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      ),
    );
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toBe(`mdec: --out: cannot write ${out}: EFBIG (file too large)\n`);
    expect(readFileSync(out, 'utf8')).toBe('the previous export\n');
    expect(leftovers(dir, ['findings.json', 'hosts.csv', 'alerts.json'])).toEqual([]);
    rmSync(out);
  });

  it('a place that cannot be written is bad input naming --out, and nothing is created', async () => {
    const run = await mdec(full, ['export', 'hosts', '--out', join(dir, 'no-such-folder', 'x.json')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--out: cannot write .*no-such-folder\/x\.json: ENOENT/);
    const onDir = await mdec(full, ['export', 'hosts', '--out', dir]);
    expect(onDir.code).toBe(2);
    expect(onDir.stderr).toMatch(/--out: .* is a directory/);
  });

  // One test per kind: two CLI runs each, which together took close to the suite's time limit.
  it.each(EXPORT_KINDS)(
    'an empty CSV export of %s still has its header row, the same as a full one',
    async (exportKind) => {
      const none = await mdec(empty, ['export', exportKind, '--format', 'csv']);
      expect(none.code, `${exportKind}: ${none.stderr}`).toBe(0);
      const lines = none.stdout.split('\r\n');
      expect(lines, exportKind).toHaveLength(2);
      expect(lines[1], exportKind).toBe('');
      expect(lines[0]!.length, exportKind).toBeGreaterThan(0);
      const some = await mdec(full, ['export', exportKind, '--format', 'csv']);
      if (some.stdout.split('\r\n').length > 2)
        expect(lines[0], exportKind).toBe(some.stdout.split('\r\n')[0]);
    },
  );

  it('the mapping and the scoring map go to --out the same way', async () => {
    const mapping = join(dir, 'mapping.csv');
    const scoring = join(dir, 'scoring.json');
    writeFileSync(scoring, 'old');
    expect((await mdec(full, ['mapping', 'show', '--connector', 'lab', '--out', mapping])).code).toBe(0);
    expect(readFileSync(mapping, 'utf8')).toMatch(/^[a-zA-Z]+,/);
    const show = await mdec(full, [
      'scoring',
      'show',
      '--connector',
      'lab',
      '--format',
      'json',
      '--out',
      scoring,
    ]);
    expect(show.code, show.stderr).toBe(0);
    expect(JSON.parse(readFileSync(scoring, 'utf8')).rows.length).toBeGreaterThan(0);
    const bad = await mdec(full, [
      'mapping',
      'show',
      '--connector',
      'lab',
      '--out',
      join(dir, 'nope', 'm.csv'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--out: cannot write/);
  });

  it.skipIf(kind !== 'postgres')(
    'Ctrl-C during an export exits 130, keeps the previous file and removes the partial one',
    async () => {
      const out = join(dir, 'findings.json');
      writeFileSync(out, 'the previous export\n');
      // A transaction holding the findings table makes the export wait after it opened its file.
      const url = full.location;
      const blocker = new pg.Client({ connectionString: url });
      await blocker.connect();
      try {
        await blocker.query('begin');
        await blocker.query('lock table findings in access exclusive mode');
        const child = spawnMdec(['--db', url, 'export', 'findings', '--out', out], {
          cwd: dir,
          env: { HOME: dir, MDEC_MASTER_KEY: '11'.repeat(32) },
        });
        const done = completion(child);
        let partial: string[] = [];
        for (let i = 0; i < 200 && partial.length === 0; i++) {
          await sleep(50);
          partial = readdirSync(dir).filter((f) => f.endsWith('.partial'));
        }
        expect(partial).toHaveLength(1);
        child.kill('SIGINT');
        const run = await done;
        expect(run.code, run.stderr).toBe(130);
        expect(run.stderr).toMatch(/interrupted/);
      } finally {
        await blocker.query('rollback');
        await blocker.end();
      }
      expect(readFileSync(out, 'utf8')).toBe('the previous export\n');
      expect(readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
    },
  );
});
