import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresKeyName } from '../../src/security/master-key-file.js';
import { connectorAddArgs, runMdec } from '../helpers/cli-runner.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { openTestStore, POSTGRES_AVAILABLE } from '../helpers/test-stores.js';

const SECRET = 'master-key-test-secret';

describe('the master key of a database', () => {
  let sim: TestSimulator;
  let dir: string;
  const mdec = (args: string[], env: Record<string, string | undefined> = {}) =>
    runMdec(args, { cwd: dir, env: { HOME: dir, MDE_SECRET: SECRET, MDEC_MASTER_KEY: undefined, ...env } });
  const mode = (path: string) => statSync(path).mode & 0o777;

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 5, seed: 2, clientSecret: SECRET });
    dir = mkdtempSync(join(tmpdir(), 'mdec-key-'));
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a file named after the database, beside it, 0600, one per database; reading creates none', async () => {
    const a = join(dir, 'data', 'a.sqlite');
    const b = join(dir, 'data', 'b.sqlite');
    expect((await mdec(['--db', a, ...connectorAddArgs(sim)])).code).toBe(0);
    expect((await mdec(['--db', b, 'migrate'])).code).toBe(0);
    expect(mode(`${a}.key`)).toBe(0o600);
    // No secret was sealed in b: it has no key yet, and reading it makes none.
    expect((await mdec(['--db', b, 'connector', 'list'])).code).toBe(0);
    expect(existsSync(`${b}.key`)).toBe(false);
    expect((await mdec(['--db', b, ...connectorAddArgs(sim)])).code).toBe(0);
    expect(readFileSync(`${b}.key`, 'utf8')).not.toBe(readFileSync(`${a}.key`, 'utf8'));
    expect(existsSync(join(dir, 'data', 'mdec.key'))).toBe(false);
    const check = await mdec(['--db', b, 'test-credentials', '--connector', 'lab']);
    expect(check.code, check.stdout + check.stderr).toBe(0);
  });

  it('takes over a legacy mdec.key once, with a notice: moved when alone, copied when shared', async () => {
    const folder = join(dir, 'legacy');
    const db = join(folder, 'mdec.sqlite');
    expect((await mdec(['--db', db, ...connectorAddArgs(sim)])).code).toBe(0);
    renameSync(`${db}.key`, join(folder, 'mdec.key'));
    const first = await mdec(['--db', db, 'test-credentials', '--connector', 'lab']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stderr).toContain(`moved the master key ${join(folder, 'mdec.key')} to ${db}.key`);
    expect(existsSync(join(folder, 'mdec.key'))).toBe(false);
    expect(mode(`${db}.key`)).toBe(0o600);
    const again = await mdec(['--db', db, 'test-credentials', '--connector', 'lab']);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/master key/);

    // Another database in the folder may use the old file too: it is copied and stays.
    const other = join(folder, 'other.sqlite');
    expect((await mdec(['--db', other, 'migrate'])).code).toBe(0);
    renameSync(`${db}.key`, join(folder, 'mdec.key'));
    const shared = await mdec(['--db', db, 'test-credentials', '--connector', 'lab']);
    expect(shared.code, shared.stdout + shared.stderr).toBe(0);
    expect(shared.stderr).toContain(`copied the master key ${join(folder, 'mdec.key')} to ${db}.key`);
    expect(existsSync(join(folder, 'mdec.key'))).toBe(true);
  });

  it('a secret the key cannot open names the key tried and how to fix it', async () => {
    const db = join(dir, 'data', 'a.sqlite');
    const wrongEnv = await mdec(['--db', db, 'test-credentials', '--connector', 'lab'], {
      MDEC_MASTER_KEY: '22'.repeat(32),
    });
    expect(wrongEnv.code).toBe(1);
    expect(wrongEnv.stderr).toMatch(
      /cannot decrypt the client secret of connector "lab" with the master key from MDEC_MASTER_KEY/,
    );
    expect(wrongEnv.stderr).toContain('mdec connector edit --name lab --client-secret-env VAR');

    const keyFile = `${db}.key`;
    const original = readFileSync(keyFile, 'utf8');
    writeFileSync(keyFile, `${'33'.repeat(32)}\n`, { mode: 0o600 });
    const sync = await mdec(['--db', db, 'sync', '--connector', 'lab']);
    expect(sync.code).toBe(1);
    expect(sync.stdout + sync.stderr).toContain(`with the master key in ${keyFile}`);

    rmSync(keyFile);
    const none = await mdec(['--db', db, 'test-credentials', '--connector', 'lab']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`no master key (MDEC_MASTER_KEY is not set and ${keyFile} does not exist)`);
    expect(existsSync(keyFile)).toBe(false);

    // The fix the message gives works: enter the secret again, sealed with a new key.
    const edit = await mdec([
      '--db',
      db,
      'connector',
      'edit',
      '--name',
      'lab',
      '--client-secret-env',
      'MDE_SECRET',
    ]);
    expect(edit.code, edit.stderr).toBe(0);
    expect((await mdec(['--db', db, 'test-credentials', '--connector', 'lab'])).code).toBe(0);
    expect(readFileSync(keyFile, 'utf8')).not.toBe(original);
  });

  it.skipIf(!POSTGRES_AVAILABLE)(
    'for PostgreSQL is one file per server and database in ~/.config/mdec (0700), 0600',
    async () => {
      const t = await openTestStore('postgres');
      try {
        const legacyDir = join(dir, '.config', 'mdec');
        expect(existsSync(legacyDir)).toBe(false);
        const add = await mdec(['--db', t.location, ...connectorAddArgs(sim)]);
        expect(add.code, add.stderr).toBe(0);
        const key = join(legacyDir, `${postgresKeyName(t.location)}.key`);
        expect(key).toMatch(/127\.0\.0\.1-5432-mdec_t_[0-9a-f]+\.key$/);
        expect(mode(key)).toBe(0o600);
        expect(mode(legacyDir)).toBe(0o700);
        expect((await mdec(['--db', t.location, 'test-credentials', '--connector', 'lab'])).code).toBe(0);
      } finally {
        await t.drop();
      }
    },
  );
});
