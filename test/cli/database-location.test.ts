import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMdec } from '../helpers/cli-runner.js';
import { PG_ADMIN_URL, POSTGRES_AVAILABLE } from '../helpers/test-stores.js';

/** Commands that only read: none of them may create a database. */
const READERS: string[][] = [
  ['export', 'hosts'],
  ['export', 'findings', '--format', 'csv'],
  ['connector', 'list'],
  ['connector', 'show', '--name', 'lab'],
  ['connector', 'edit', '--name', 'lab', '--network', 'x'],
  ['connector', 'remove', '--name', 'lab'],
  ['mapping', 'show', '--connector', 'lab'],
  ['scoring', 'show', '--connector', 'lab'],
  ['scoring', 'rescore', '--connector', 'lab'],
  ['test-credentials', '--connector', 'lab'],
  ['sync', '--connector', 'lab'],
];

const ADD = [
  'connector',
  'add',
  '--name',
  'lab',
  '--tenant-id',
  '11111111-2222-4333-8444-555555555555',
  '--client-id',
  '11111111-2222-4333-8444-555555555555',
  '--client-secret-env',
  'MDE_SECRET',
];

describe('where the database is, and which commands create it', () => {
  let dir: string;
  const mdec = (args: string[], env: Record<string, string | undefined> = {}) =>
    runMdec(args, { cwd: dir, env: { HOME: dir, MDEC_DB: undefined, MDE_SECRET: 's3cret-value', ...env } });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mdec-db-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(READERS)('%s %s refuses a missing database with exit 2 and creates nothing', async (...args) => {
    const typo = join(dir, 'dta', 'mdec.sqlite');
    const run = await mdec(['--db', typo, ...args]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(typo);
    expect(run.stderr).toMatch(/--db/);
    expect(existsSync(join(dir, 'dta'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('names MDEC_DB when the location came from it, and the default when none was given', async () => {
    const fromEnv = await mdec(['connector', 'list'], { MDEC_DB: 'elsewhere.sqlite' });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain(`no database at ${join(dir, 'elsewhere.sqlite')} (from MDEC_DB)`);
    const byDefault = await mdec(['export', 'runs']);
    expect(byDefault.code).toBe(2);
    expect(byDefault.stderr).toContain(join(dir, 'data', 'mdec.sqlite'));
    expect(byDefault.stderr).toMatch(/the default; choose one with --db or MDEC_DB/);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([
    ['mysql://foo', ['connector', 'list']],
    ['mysql://foo', ['migrate']],
    ['http://example.com/db', ADD],
    ['sqlite:///tmp/x.sqlite', ['export', 'hosts']],
  ])('refuses an unknown URL scheme %s with exit 2 for every command (%j)', async (location, args) => {
    const run = await mdec(['--db', location, ...args]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/--db: ".*:\/\/" is not a database mdec can use/);
    expect(readdirSync(dir)).toEqual([]);
    const viaEnv = await mdec(args, { MDEC_DB: location });
    expect(viaEnv.code).toBe(2);
    expect(viaEnv.stderr).toMatch(/MDEC_DB: /);
  });

  it('connector add and migrate create the database and say so once', async () => {
    const db = join(dir, 'made', 'mdec.sqlite');
    const add = await mdec(['--db', db, ...ADD]);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stderr).toBe(`mdec: created database at ${db}\n`);
    const list = await mdec(['--db', db, 'connector', 'list']);
    expect(list.code).toBe(0);
    expect(list.stderr).toBe('');
    expect(list.stdout).toMatch(/^lab\s/m);

    const other = join(dir, 'other.sqlite');
    const migrate = await mdec(['--db', other, '--json', 'migrate']);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(JSON.parse(migrate.stderr)).toEqual({ notice: `created database at ${other}` });
    expect((await mdec(['--db', other, 'migrate'])).stderr).toBe('');
    rmSync(join(dir, 'made'), { recursive: true });
    rmSync(other);
  });

  it('a file that holds no mdec database is refused by a reader', async () => {
    const db = join(dir, 'plain.sqlite');
    const { default: Sqlite } = await import('better-sqlite3');
    new Sqlite(db).close();
    const run = await mdec(['--db', db, 'export', 'hosts']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/holds no mdec database/);
    rmSync(db);
  });
});

describe.skipIf(!POSTGRES_AVAILABLE)('where the database is, on PostgreSQL', () => {
  let dir: string;
  const mdec = (args: string[]) =>
    runMdec(args, { cwd: dir, env: { HOME: dir, MDEC_DB: undefined, MDE_SECRET: 's3cret-value' } });
  const name = `mdec_t_empty_${process.pid}`;
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    await client.query(statement);
    await client.end();
  };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mdec-db-'));
    await admin(`CREATE DATABASE ${name}`);
  });
  afterAll(async () => {
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a reader refuses a database without the schema; a writer creates the schema and says so', async () => {
    const read = await mdec(['--db', url.toString(), 'connector', 'list']);
    expect(read.code).toBe(2);
    expect(read.stderr).toMatch(/holds no mdec database/);
    expect(read.stderr).not.toContain('mdec:mdec@');
    const add = await mdec(['--db', url.toString(), ...ADD]);
    expect(add.code, add.stderr).toBe(0);
    expect(add.stderr).toMatch(/^mdec: created database at postgres:/);
    expect(add.stderr).not.toMatch(/:mdec@/);
    expect((await mdec(['--db', url.toString(), 'connector', 'list'])).code).toBe(0);
  });

  it('a database missing on the server is exit 2; a server out of reach is named with its address', async () => {
    const missing = new URL(PG_ADMIN_URL);
    missing.pathname = '/mdec_no_such_database';
    const run = await mdec(['--db', missing.toString(), 'export', 'hosts']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/database "mdec_no_such_database" does not exist/);
    const down = await mdec(['--db', 'postgres://mdec:mdec@127.0.0.1:1/x', 'migrate']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot connect to PostgreSQL at 127\.0\.0\.1:1 \(.*ECONNREFUSED.*\)/);
    expect(down.stderr).not.toMatch(/migration/);
  });
});
