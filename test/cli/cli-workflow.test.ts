import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorAddArgs, connectorIdentityArgs, mdecRunner } from '../helpers/cli-runner.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';

/** Finding keys of the open findings in an exported CSV file (plain cells: no quoting in these columns). */
function csvOpenFindingKeys(file: string): string[] {
  const lines = readFileSync(file, 'utf8').trim().split('\r\n');
  const header = lines[0]!.split(',');
  const col = (name: string) => header.indexOf(name);
  return lines
    .slice(1)
    .map((l) => l.split(','))
    .filter((c) => c[col('status')] === 'open')
    .map((c) =>
      ['machineId', 'cveId', 'softwareVendor', 'softwareName', 'softwareVersion']
        .map((n) => c[col(n)])
        .join('|'),
    )
    .sort();
}

/** The same keys from the simulator's ground truth, for rows a predicate keeps. */
async function truthKeys(
  sim: TestSimulator,
  keep: (r: Record<string, unknown>) => boolean,
): Promise<string[]> {
  const rows = (await sim.truthRows('vulnerabilities')).filter((r) => r.cveId && keep(r));
  const keys = rows.map((r) =>
    [String(r.deviceId).toLowerCase(), r.cveId, r.softwareVendor, r.softwareName, r.softwareVersion].join(
      '|',
    ),
  );
  return [...new Set(keys)].sort();
}

/** A valid `connector add` up to the flag a case makes bad. */
const ADD_VALID = connectorIdentityArgs('x');

// Each step is a process of its own (a second or more on a loaded machine), so a test gets 2 minutes.
describe('mdec: connector, sync and export as a user runs them', { timeout: 120_000 }, () => {
  let sim: TestSimulator;
  let dir: string;
  let db: string;
  const secret = 'cli-test-secret-value';
  const run = mdecRunner(() => ({ db, cwd: dir }), secret);

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 120, seed: 4, clientSecret: secret });
    dir = mkdtempSync(join(tmpdir(), 'mdec-cli-'));
    db = join(dir, 'data', 'mdec.sqlite');
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('adds a connector with the secret from the environment and never prints the secret', async () => {
    const add = await run(connectorAddArgs(sim));
    expect(add.code, add.stderr).toBe(0);
    const show = await run(['--json', 'connector', 'show', '--name', 'lab']);
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout).credential).toBe('client secret (stored encrypted)');
    expect(show.stdout + add.stdout).not.toContain(secret);
    expect(readFileSync(db).includes(Buffer.from(secret))).toBe(false);
  });

  it.each([
    [['connector', 'add', '--name', 'x', '--tenant-id', 'nope'], /--tenant-id must be a GUID/],
    [[...ADD_VALID, '--stale-days', 'soon'], /--stale-days must be a whole number/],
    [[...ADD_VALID, '--data-types', 'machines,coffee'], /--data-types: unknown "coffee"/],
    [[...ADD_VALID, '--filter', 'firstSeen gt 2020-01-01Z'], /--filter:/],
    [
      [
        ...ADD_VALID,
        '--cloud',
        'custom',
        '--api-url',
        'http://example.com',
        '--login-url',
        'https://login.example.com',
        '--scope',
        'https://x/.default',
      ],
      /--api-url: .*http:\/\//,
    ],
    [
      [...ADD_VALID, '--identification-rules', 'fqdn:off,hostname:off'],
      /--identification-rules: at least one rule must be enabled/,
    ],
    [
      [...ADD_VALID, '--identification-rules', 'fqdn,serial'],
      /--identification-rules: unknown rule "serial"/,
    ],
    [['sync', '--connector', 'missing'], /no connector named "missing"/],
    [['export', 'planets'], /unknown export "planets"/],
    [['export', 'findings', '--format', 'xml'], /--format must be one of json, ndjson, csv/],
  ])('exits 2 naming the field for %j', async (args, message) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('checks the credentials, endpoint by endpoint', async () => {
    const r = await run(['test-credentials', '--connector', 'lab']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✓ sign-in/);
    expect(r.stdout).toMatch(/✓ permission for vulnerabilities/);
  });

  it('syncs, and `export findings --format csv` holds exactly the findings of the ground truth', async () => {
    const sync = await run(['sync', '--connector', 'lab', '--mode', 'full']);
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
    expect(sync.stdout).toMatch(/succeeded/);
    const out = join(dir, 'findings.csv');
    const exp = await run(['export', 'findings', '--format', 'csv', '--connector', 'lab', '--out', out]);
    expect(exp.code, exp.stderr).toBe(0);
    expect(csvOpenFindingKeys(out)).toEqual(await truthKeys(sim, () => true));
  });

  it("`export findings --query 'severity>=4 status:open'` holds exactly the High and Critical findings of the truth", async () => {
    const out = join(dir, 'severe.csv');
    const exp = await run([
      'export',
      'findings',
      '--format',
      'csv',
      '--query',
      'severity>=4 status:open',
      '--out',
      out,
    ]);
    expect(exp.code, exp.stderr).toBe(0);
    const keys = csvOpenFindingKeys(out);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys).toEqual(
      await truthKeys(
        sim,
        (r) => r.vulnerabilitySeverityLevel === 'High' || r.vulnerabilitySeverityLevel === 'Critical',
      ),
    );
    const bad = await run(['export', 'findings', '--query', 'severity>=lots']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--query: "severity" needs a number/);
  });

  it('exports hosts with their Defender fields, as JSON and JSON lines', async () => {
    const json = await run(['export', 'hosts', '--format', 'json', '--connector', 'lab']);
    const hosts = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(hosts.length).toBe(120);
    expect(hosts[0]).toHaveProperty('defenderMachineId');
    expect(hosts[0]).toHaveProperty('defenderHealthStatus');
    const ndjson = await run(['export', 'runs', '--format', 'ndjson']);
    expect(ndjson.stdout.trim().split('\n').length).toBe(1);
  });

  it('keeps CSV safe from formula injection', async () => {
    const { csvCell } = await import('../../src/export/csv-cell.js');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('plain, text')).toBe('"plain, text"');
  });

  it('exports dynamic profiles, shows them on hosts, and `--no-profiles` removes them (hosts stay)', async () => {
    const profiles = JSON.parse((await run(['export', 'profiles', '--format', 'json'])).stdout) as Array<
      Record<string, unknown>
    >;
    const os = profiles.filter((p) => p.kind === 'OS');
    expect(os.length).toBeGreaterThan(2);
    expect(os.reduce((n, p) => n + Number(p.hostCount), 0)).toBe(120);
    expect(profiles[0]).toMatchObject({ connector: 'lab' });
    const hosts = JSON.parse((await run(['export', 'hosts', '--format', 'json'])).stdout) as Array<{
      osPlatform: string;
      profiles: string[];
    }>;
    const host = hosts.find((h) => h.osPlatform === 'Windows11')!;
    expect(host.profiles).toContain('Windows11');
    const byQuery = await run(['export', 'hosts', '--format', 'ndjson', '--query', 'profile:Windows11']);
    expect(byQuery.stdout.trim().split('\n').length).toBe(
      hosts.filter((h) => h.osPlatform === 'Windows11').length,
    );

    const edit = await run(['connector', 'edit', '--name', 'lab', '--no-profiles']);
    expect(edit.code, edit.stderr).toBe(0);
    expect(JSON.parse((await run(['export', 'profiles', '--format', 'json'])).stdout)).toEqual([]);
    const after = JSON.parse((await run(['export', 'hosts', '--format', 'json'])).stdout) as Array<{
      profiles: string[];
    }>;
    expect(after.length).toBe(120);
    expect(after.every((h) => h.profiles.length === 0)).toBe(true);
    const show = JSON.parse((await run(['--json', 'connector', 'show', '--name', 'lab'])).stdout);
    expect(show.options.profiles).toBe(false);
    expect(show.options.identificationRules[0]).toEqual({ rule: 'machineId', enabled: true });
  });

  it('prints the field mapping as CSV', async () => {
    const r = await run(['mapping', '--connector', 'lab', '--format', 'csv']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\r\n')[0]).toBe('entity,sourceField,dataType,targetField,note,origin');
    expect(r.stdout).toContain('mergedIntoMachineId');
  });

  // One test per case: each syncs a store of its own, and together they came close to the time limit.
  it.each([
    ['keep.sqlite', false],
    ['purge.sqlite', true],
  ] as const)(
    'removing a connector (%s): hosts kept as retained, or deleted with --purge-hosts',
    async (file, purge) => {
      const other = mdecRunner(() => ({ db: join(dir, file), cwd: dir }), secret);
      expect((await other(connectorAddArgs(sim, 'gone'))).code).toBe(0);
      expect((await other(['sync', '--connector', 'gone', '--mode', 'full'])).code).toBe(0);
      const before = JSON.parse((await other(['export', 'hosts', '--format', 'json'])).stdout) as unknown[];
      expect(before.length).toBeGreaterThan(0);
      const removed = await other([
        '--json',
        'connector',
        'remove',
        '--name',
        'gone',
        ...(purge ? ['--purge-hosts'] : []),
      ]);
      expect(removed.code, removed.stderr).toBe(0);
      expect(JSON.parse(removed.stdout)).toEqual({ removed: 'gone', hostsPurged: purge });
      const after = JSON.parse((await other(['export', 'hosts', '--format', 'json'])).stdout) as Array<{
        status: string;
      }>;
      if (purge) expect(after).toEqual([]);
      else {
        expect(after.length).toBe(before.length);
        expect(after.every((h) => h.status === 'retained')).toBe(true);
      }
      const findings = JSON.parse((await other(['export', 'findings', '--format', 'json'])).stdout);
      expect(findings).toEqual([]);
    },
  );
});
