import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorIdentityArgs, mdecRunner } from '../helpers/cli-runner.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';

/** `mdec export` of definitions in depth and host risk, as a user runs it (needs `npm run build`). */
describe('mdec export: vulnerability definitions in depth, host risk and portal links', () => {
  let sim: TestSimulator;
  let dir: string;
  let db: string;
  const secret = 'cli-risk-secret';
  const run = mdecRunner(() => ({ db, cwd: dir }), secret);

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 80, seed: 21, clientSecret: secret });
    dir = mkdtempSync(join(tmpdir(), 'mdec-cli-risk-'));
    db = join(dir, 'mdec.sqlite');
    // The commercial cloud with the API pointed at the simulator: links name the commercial portal.
    const add = await run([
      ...connectorIdentityArgs('lab', sim.sim.info),
      '--cloud',
      'commercial',
      '--api-url',
      sim.url,
      '--login-url',
      sim.url,
      '--scope',
      'https://api.securitycenter.microsoft.com/.default',
    ]);
    expect(add.code, add.stderr).toBe(0);
    const synced = await run(['sync', '--connector', 'lab', '--mode', 'full']);
    expect(synced.code, synced.stderr).toBe(0);
  });
  afterAll(async () => {
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('exports hosts with risk fields and commercial portal links', async () => {
    const out = await run(['export', 'hosts', '--format', 'json', '--query', 'vulnerabilities>0']);
    expect(out.code, out.stderr).toBe(0);
    const hosts = JSON.parse(out.stdout) as Array<Record<string, unknown>>;
    expect(hosts.length).toBeGreaterThan(10);
    for (const h of hosts) {
      expect(Number(h.openVulnerabilityCount)).toBeGreaterThan(0);
      expect(h.riskScore).toBeGreaterThan(0);
      expect(['Low', 'Medium', 'High', 'Critical']).toContain(h.riskLevel);
      expect(h.portalOverviewUrl).toBe(
        `https://security.microsoft.com/machines/v2/${h.defenderMachineId}/overview?tid=${sim.sim.info.tenantId.toLowerCase()}`,
      );
      expect(String(h.portalVulnerabilitiesUrl)).toMatch(/\/vulnerabilities\?tid=/);
    }
    const csv = await run(['export', 'hosts', '--format', 'csv']);
    const header = csv.stdout.split('\r\n')[0]!.split(',');
    for (const col of ['riskScore', 'riskLevel', 'topVulnerabilityCveId', 'topAlertTitle', 'portalAlertsUrl'])
      expect(header).toContain(col);
  });

  it('exports definitions with components and filters them by maturity and computed score', async () => {
    const all = JSON.parse((await run(['export', 'vulnerabilities', '--format', 'json'])).stdout) as Array<
      Record<string, unknown>
    >;
    const out = await run([
      'export',
      'vulnerabilities',
      '--format',
      'json',
      '--query',
      'maturity>=public cvss>=7',
    ]);
    expect(out.code, out.stderr).toBe(0);
    const picked = JSON.parse(out.stdout) as Array<Record<string, unknown>>;
    const expected = all.filter((v) => Number(v.exploitMaturityRank) >= 1 && Number(v.cvssV3BaseScore) >= 7);
    expect(expected.length).toBeGreaterThan(0);
    expect(picked.map((v) => v.id)).toEqual(expected.map((v) => v.id));
    expect((picked[0]!.cvssV3Components as Record<string, string>).AV).toMatch(/^[NALP]$/);
    const bad = await run(['export', 'vulnerabilities', '--query', 'maturity>=sometimes']);
    expect(bad.code).toBe(2);
  });
});
