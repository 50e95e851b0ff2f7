import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSelfSignedCertificate } from '../../src/simulator/tls/self-signed.js';
import { connectorAddArgs, connectorIdentityArgs, mdecRunner } from '../helpers/cli-runner.js';
import { type ConnectProxy, startConnectProxy } from '../helpers/connect-proxy.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';

const GUID = '11111111-2222-4333-8444-555555555555';

describe('mdec connector: region, description, lookback, status, definition filter and --from', () => {
  let sim: TestSimulator;
  let dir: string;
  let db: string;
  const secret = 'options-cli-secret-value';
  const run = mdecRunner(() => ({ db, cwd: dir }), secret);

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 120, seed: 5, clientSecret: secret });
    dir = mkdtempSync(join(tmpdir(), 'mdec-options-'));
    db = join(dir, 'mdec.sqlite');
    const add = await run([...connectorAddArgs(sim, 'a'), '--data-types', 'machines,vulnerabilities']);
    expect(add.code, add.stderr).toBe(0);
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    [['--region', 'mars'], /--region: region must be one of us, eu, uk, au, swa, ina, aea \(got "mars"\)/],
    [['--region', 'eu', '--cloud', 'gcc'], /--region: .*commercial cloud only.*gcc cloud has no regional/],
    [
      ['--region', 'eu', '--api-url', 'https://api.example.com'],
      /--region: give either a region or an API URL/,
    ],
    [['--initial-lookback-days', '10'], /--initial-lookback-days: .*30/],
    [['--vulnerability-status', 'fixed'], /--vulnerability-status: must include open/],
    [
      ['--vulnerability-status', 'open,closed'],
      /--vulnerability-status: .*"open"\|"fixed"|--vulnerability-status:/,
    ],
    [['--vulnerability-definition-filter', 'colour eq 1'], /--vulnerability-definition-filter: .*colour/i],
    [['--description', 'd'.repeat(501)], /--description: .*500/],
  ])('refuses %j with exit 2, naming the flag', async (args, message) => {
    const r = await run([...connectorIdentityArgs('x'), ...args]);
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('says in --help what --initial-lookback-days does on the first and on later syncs', async () => {
    const r = await run(['connector', 'add', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--initial-lookback-days <n>\s+first sync only/);
    expect(r.stdout).toMatch(/Later syncs are not bounded by it/);
    for (const flag of [
      '--region',
      '--description',
      '--vulnerability-status',
      '--vulnerability-definition-filter',
      '--from',
    ])
      expect(r.stdout).toContain(flag);
  });

  it('shows every new option in show and --json, and the description in list', async () => {
    const add = await run([
      ...connectorIdentityArgs('shown'),
      '--region',
      'eu',
      '--description',
      'EU tenant, critical CVEs',
      '--initial-lookback-days',
      '90',
      '--vulnerability-status',
      'open',
      '--vulnerability-definition-filter',
      'cvssV3 ge 9',
    ]);
    expect(add.code, add.stderr).toBe(0);
    const show = await run(['--json', 'connector', 'show', '--name', 'shown']);
    const c = JSON.parse(show.stdout);
    expect(c).toMatchObject({
      description: 'EU tenant, critical CVEs',
      cloud: 'commercial',
      region: 'eu',
      apiUrl: 'https://eu.api.security.microsoft.com',
      options: {
        description: 'EU tenant, critical CVEs',
        initialLookbackDays: 90,
        vulnerabilityStatus: ['open'],
        vulnerabilityDefinitionFilter: 'cvssV3 ge 9',
      },
    });
    const human = await run(['connector', 'show', '--name', 'shown']);
    expect(human.stdout).toMatch(/^region\s+eu$/m);
    // The name may also come as the command's argument, but not as two different names.
    expect((await run(['connector', 'show', 'shown'])).stdout).toBe(human.stdout);
    const twice = await run(['connector', 'show', 'shown', '--name', 'other']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('named twice');
    expect((await run(['connector', 'show'])).code).toBe(2);
    expect(human.stdout).toMatch(/^apiUrl\s+https:\/\/eu\.api\.security\.microsoft\.com$/m);
    expect(human.stdout).toMatch(/^description\s+EU tenant, critical CVEs$/m);
    const list = await run(['connector', 'list']);
    expect(list.stdout).toContain('EU tenant, critical CVEs');
    // Back to the global host, and the lookback unset again.
    const edit = await run([
      'connector',
      'edit',
      '--name',
      'shown',
      '--region',
      'none',
      '--initial-lookback-days',
      'none',
      '--description',
      '',
    ]);
    expect(edit.code, edit.stderr).toBe(0);
    const after = JSON.parse((await run(['--json', 'connector', 'show', '--name', 'shown'])).stdout);
    expect(after).toMatchObject({
      region: null,
      apiUrl: 'https://api.security.microsoft.com',
      description: null,
    });
    expect(after.options.initialLookbackDays).toBeUndefined();
    await run(['connector', 'remove', '--name', 'shown']);
  }, 120_000);

  it('--from copies the credentials without a secret flag and prints none; both profiles make one host per device', async () => {
    const add = await run(
      [
        'connector',
        'add',
        '--name',
        'b',
        '--from',
        'a',
        '--data-types',
        'machines,alerts',
        '--description',
        'alerts profile',
      ],
      { MDE_SECRET: '' },
    );
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout).toMatch(/credentials of "a", copied encrypted/);
    const show = await run(['--json', 'connector', 'show', '--name', 'b']);
    const b = JSON.parse(show.stdout);
    expect(b).toMatchObject({
      tenantId: sim.sim.info.tenantId,
      clientId: sim.sim.info.clientId,
      apiUrl: sim.url,
      credential: 'client secret (stored encrypted)',
      options: { dataTypes: ['machines', 'alerts'] },
    });
    expect(add.stdout + add.stderr + show.stdout).not.toContain(secret);
    expect(readFileSync(db).includes(Buffer.from(secret))).toBe(false);
    // The copied secret signs in: both profiles sync, and a device both read stays one host.
    const hostCount = async () => {
      const out = join(dir, 'hosts.json');
      expect((await run(['export', 'hosts', '--format', 'json', '--out', out])).code).toBe(0);
      // Devices Defender merged into another are folded into its host: count the hosts they are.
      const hosts = JSON.parse(readFileSync(out, 'utf8')) as Array<{ status: string }>;
      return hosts.filter((h) => h.status !== 'merged').length;
    };
    const syncOf = async (name: string) => {
      const s = await run(['sync', '--connector', name, '--mode', 'full']);
      expect(s.code, s.stdout + s.stderr).toBe(0);
      return s.stdout;
    };
    await syncOf('a');
    const afterA = await hostCount();
    expect(afterA).toBeGreaterThan(0);
    expect(await syncOf('b')).toMatch(/new devices joined hosts another connector reports/);
    expect(await hostCount()).toBe(afterA);
  }, 180_000);

  it.each([
    [['--from', 'a', '--tenant-id', GUID], /--from copies .* drop --tenant-id/],
    [['--from', 'a', '--client-secret-env', 'MDE_SECRET'], /drop --client-secret-env/],
    [['--from', 'a', '--region', 'eu'], /drop --region/],
    [['--from', 'nobody'], /--from: no connector named "nobody"/],
  ])('add --from refuses %j with exit 2', async (args, message) => {
    const r = await run(['connector', 'add', '--name', 'c', ...args]);
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr).toMatch(message);
  });
});

describe('mdec sync with --region: the regional host is the one called', () => {
  let sim: TestSimulator;
  let proxy: ConnectProxy;
  let dir: string;
  const secret = 'region-cli-secret-value';

  beforeAll(async () => {
    // The simulator answers for Microsoft's names; the proxy takes every name to it.
    const tls = await generateSelfSignedCertificate({
      commonName: 'mdec-test',
      altNames: ['eu.api.security.microsoft.com', 'login.microsoftonline.com', '127.0.0.1'],
      days: 2,
    });
    sim = await startTestSimulator({ devices: 40, seed: 6, clientSecret: secret, tls });
    proxy = await startConnectProxy(Number(new URL(sim.url).port));
    dir = mkdtempSync(join(tmpdir(), 'mdec-region-'));
    writeFileSync(join(dir, 'ca.pem'), tls.certPem);
  });
  afterAll(async () => {
    await proxy.close();
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('signs in at the commercial authority and reads from eu.api.security.microsoft.com', async () => {
    const run = mdecRunner(() => ({ db: join(dir, 'mdec.sqlite'), cwd: dir }), secret);
    const env = {
      HTTPS_PROXY: proxy.url,
      https_proxy: proxy.url,
      NO_PROXY: '',
      no_proxy: '',
      MDEC_CA_FILE: join(dir, 'ca.pem'),
    };
    const add = await run([
      ...connectorIdentityArgs('eu', sim.sim.info),
      '--region',
      'eu',
      '--data-types',
      'machines',
    ]);
    expect(add.code, add.stderr).toBe(0);
    const s = await run(['sync', '--connector', 'eu', '--mode', 'full'], env);
    expect(s.code, s.stdout + s.stderr).toBe(0);
    expect(proxy.tunnels).toContain('eu.api.security.microsoft.com:443');
    expect(proxy.tunnels).toContain('login.microsoftonline.com:443');
    expect(Object.keys(sim.sim.state.stats.byApiHost)).toEqual(['eu.api.security.microsoft.com']);
  }, 120_000);
});
