import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMdec } from '../helpers/cli-runner.js';

/** `mdec user` and `mdec token`: passwords only from the environment, tokens printed once. */
describe('mdec user and mdec token', () => {
  let dir: string;
  let db: string;
  const env = {
    MDEC_MASTER_KEY: Buffer.alloc(32, 5).toString('base64'),
    PW: 'a good long password',
    SHORT: 'short',
  };
  const mdec = (...args: string[]) => runMdec(['--db', db, ...args], { env });

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mdec-users-'));
    db = join(dir, 'mdec.sqlite');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('adds, lists and changes users; refuses bad input with exit 2', { timeout: 120_000 }, async () => {
    expect(
      (await mdec('user', 'add', '--name', 'alice', '--role', 'admin', '--password-env', 'PW')).code,
    ).toBe(0);
    const badRole = await mdec('user', 'add', '--name', 'bob', '--role', 'root', '--password-env', 'PW');
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('--role');
    const short = await mdec('user', 'add', '--name', 'bob', '--role', 'viewer', '--password-env', 'SHORT');
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('12 characters');
    const unset = await mdec('user', 'add', '--name', 'bob', '--role', 'viewer', '--password-env', 'NOT_SET');
    expect(unset.code).toBe(2);
    expect((await mdec('user', 'set-role', '--name', 'alice', '--role', 'analyst')).code).toBe(0);
    const list = await mdec('--json', 'user', 'list');
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: 'alice', role: 'analyst' })]);
    expect(list.stdout).not.toMatch(/scrypt|hash/i);
    expect((await mdec('user', 'set-password', '--name', 'nobody', '--password-env', 'PW')).code).toBe(2);
  });

  it('creates a token shown once, lists it without the token, revokes it', { timeout: 120_000 }, async () => {
    const created = await mdec('--json', 'token', 'create', '--user', 'alice', '--name', 'ci');
    expect(created.code).toBe(0);
    const { id, token } = JSON.parse(created.stdout) as { id: number; token: string };
    expect(token).toMatch(/^mdec_/);
    const list = await mdec('--json', 'token', 'list');
    expect(list.stdout).not.toContain(token);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ id, name: 'ci', user: 'alice', revokedAt: null }),
    ]);
    expect((await mdec('token', 'revoke', String(id))).code).toBe(0);
    expect(JSON.parse((await mdec('--json', 'token', 'list')).stdout)[0].revokedAt).not.toBeNull();
    expect((await mdec('token', 'revoke', '999')).code).toBe(2);
    expect((await mdec('user', 'remove', '--name', 'alice')).code).toBe(0);
    expect(JSON.parse((await mdec('--json', 'token', 'list')).stdout)).toEqual([]);
  });
});
