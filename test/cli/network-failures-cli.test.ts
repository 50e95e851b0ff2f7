import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorAddArgs, mdecRunner, ROOT } from '../helpers/cli-runner.js';
import { closedPort, UNRESOLVABLE_HOST } from '../helpers/network-faults.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';

/** Words that would blame the credentials. */
const CREDENTIAL_WORDS = /credential|secret|client id|tenant id|AADSTS|sign-in refused/i;

describe('mdec reports network failures by class, never as rejected credentials', () => {
  let sim: TestSimulator;
  let tlsSim: TestSimulator;
  let dir: string;
  let db: string;
  let port: number;
  const secret = 'net-test-secret-value';
  const run = mdecRunner(() => ({ db, cwd: dir }), secret);

  /** `connector add` of NAME with both URLs replaced, retrying at most `maxRetries` times. */
  const addConnector = async (name: string, apiUrl: string, loginUrl: string, maxRetries = 2) => {
    const args = connectorAddArgs(sim, name);
    args[args.indexOf('--api-url') + 1] = apiUrl;
    args[args.indexOf('--login-url') + 1] = loginUrl;
    const add = await run([...args, '--max-retries', String(maxRetries), '--data-types', 'machines,alerts']);
    expect(add.code, add.stderr).toBe(0);
  };

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 10, clientSecret: secret });
    dir = mkdtempSync(join(tmpdir(), 'mdec-net-'));
    db = join(dir, 'data', 'mdec.sqlite');
    port = await closedPort();
    const down = `http://127.0.0.1:${port}`;
    await addConnector('down', down, down);
    await addConnector('nodns', `https://${UNRESOLVABLE_HOST}`, `https://${UNRESOLVABLE_HOST}`);
    await addConnector('apidown', down, sim.url);
    tlsSim = await startTestSimulator({
      devices: 5,
      clientSecret: secret,
      tls: 'generate',
      host: '127.0.0.1',
    });
    await addConnector('tls', tlsSim.url, tlsSim.url);
  });
  afterAll(async () => {
    await sim?.close();
    await tlsSim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('test-credentials on a refused port: the class and its fix, each retry on stderr, no word on credentials', async () => {
    const r = await run(['test-credentials', '--connector', 'down']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    const signIn = r.stdout.split('\n').find((l) => l.includes('sign-in'))!;
    expect(signIn).toMatch(
      new RegExp(
        `^✗ sign-in: connection refused: sign-in request: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}`,
      ),
    );
    expect(r.stdout).toMatch(/\n {4}fix: nothing accepts connections at 127\.0\.0\.1:\d+/);
    expect(r.stdout).not.toMatch(CREDENTIAL_WORDS);
    // Fewer retries than a sync, each one shown as it is scheduled.
    const retries = r.stderr.split('\n').filter((l) => l.includes('retrying'));
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatch(
      new RegExp(
        `^ {2}sign-in: retrying in \\d+(\\.\\d)? s \\(1 of 2\\): connect ECONNREFUSED 127\\.0\\.0\\.1:${port}$`,
      ),
    );
    expect(retries[1]).toMatch(/\(2 of 2\)/);
  });

  it('test-credentials on a host name that does not resolve: DNS, at once, without retries', async () => {
    const started = Date.now();
    const r = await run(['test-credentials', '--connector', 'nodns']);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(`✗ sign-in: DNS: sign-in request: getaddrinfo ENOTFOUND ${UNRESOLVABLE_HOST}`);
    expect(r.stdout).toMatch(`fix: the host name ${UNRESOLVABLE_HOST} does not resolve`);
    expect(r.stdout).not.toMatch(CREDENTIAL_WORDS);
    expect(r.stderr).not.toMatch(/retrying/);
  });

  it('test-credentials against a certificate no CA vouches for: TLS certificate and --ca-file, which then works', async () => {
    const r = await run(['test-credentials', '--connector', 'tls']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^✗ sign-in: TLS certificate: sign-in request: .*certificate/m);
    expect(r.stdout).toMatch(
      /fix: this system trusts no certificate authority .*--ca-file PATH or MDEC_CA_FILE=PATH/,
    );
    expect(r.stdout).not.toMatch(CREDENTIAL_WORDS);
    expect(r.stderr).not.toMatch(/retrying/);
    const caFile = join(dir, 'simulator-ca.pem');
    writeFileSync(caFile, tlsSim.sim.info.caCertPem!);
    const trusted = await run(['test-credentials', '--connector', 'tls'], { MDEC_CA_FILE: caFile });
    expect(trusted.code, trusted.stdout + trusted.stderr).toBe(0);
    expect(trusted.stdout).toMatch(/✓ sign-in/);
  });

  it('test-credentials with a wrong secret: sign-in refused, with the AADSTS code and the fix', async () => {
    const r = await run(['test-credentials', '--connector', 'apidown'], { MDE_SECRET: 'unused' });
    // The connector's stored secret is right; change it to a wrong one first.
    expect(r.stdout).toMatch(/✓ sign-in/);
    const edit = await run(['connector', 'edit', '--name', 'apidown', '--client-secret-env', 'WRONG'], {
      WRONG: 'a-wrong-secret',
    });
    expect(edit.code, edit.stderr).toBe(0);
    const bad = await run(['test-credentials', '--connector', 'apidown']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/✗ sign-in: sign-in refused: .*AADSTS7000215/);
    expect(bad.stdout).toMatch(/fix: the client secret is wrong: use the secret value, not its id/);
    expect(bad.stdout).toMatch(
      /to store a new secret: mdec connector edit --name apidown --client-secret-env VAR/,
    );
    const restore = await run([
      'connector',
      'edit',
      '--name',
      'apidown',
      '--client-secret-env',
      'MDE_SECRET',
    ]);
    expect(restore.code, restore.stderr).toBe(0);
  });

  it('test-credentials when only the API host is down: signs in, then one endpoint fails by class and the rest are not tried', async () => {
    const r = await run(['test-credentials', '--connector', 'apidown']);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/✓ sign-in/);
    expect(r.stdout).toMatch(
      new RegExp(`✗ endpoint for machines: connection refused: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}`),
    );
    expect(r.stdout).toMatch(/✗ endpoint for alerts: not tried: .* cannot be reached \(connection-refused/);
    expect(r.stderr).toMatch(/endpoint for machines: retrying in .* \(1 of 2\): connect ECONNREFUSED/);
    expect(r.stderr).not.toMatch(/endpoint for alerts: retrying/);
  });

  it('test-credentials --json gives each failed check its class and fix', async () => {
    const r = await run(['--json', 'test-credentials', '--connector', 'down']);
    const checks = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(checks[0]).toMatchObject({ check: 'sign-in', ok: false, class: 'connection-refused' });
    expect(String(checks[0]!.fix)).toMatch(/--api-url/);
  });

  it('mdec sync against an unreachable API prints each retry on stderr as it happens, then the class and fix', async () => {
    const child = spawn(
      process.execPath,
      [`${ROOT}bin/mdec.js`, '--db', db, 'sync', '--connector', 'apidown', '--mode', 'full'],
      { cwd: dir, env: { ...process.env, MDE_SECRET: secret }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let runningAtFirstRetry: boolean | undefined;
    child.stdout!.on('data', (c) => {
      stdout += String(c);
    });
    child.stderr!.on('data', (c) => {
      stderr += String(c);
      if (runningAtFirstRetry === undefined && stderr.includes('retrying in'))
        runningAtFirstRetry = child.exitCode === null;
    });
    const [code] = (await once(child, 'exit')) as [number];
    expect(code, stdout + stderr).toBe(1);
    expect(runningAtFirstRetry).toBe(true);
    const retries = stderr.split('\n').filter((l) => l.includes('retrying'));
    expect(retries).toEqual([
      expect.stringMatching(
        new RegExp(
          `^ {2}retrying in \\d+(\\.\\d)? s \\(1 of 2\\): connect ECONNREFUSED 127\\.0\\.0\\.1:${port}$`,
        ),
      ),
      expect.stringMatching(/^ {2}retrying in .* \(2 of 2\): connect ECONNREFUSED/),
    ]);
    expect(stdout).toMatch(
      new RegExp(
        `Error: connection refused: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}; gave up after 2 retries .*Fix: nothing accepts`,
      ),
    );
    expect(stdout).not.toMatch(CREDENTIAL_WORDS);
  });
});
