import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitCsvLine } from '../../src/normalize/scoring/scoring-map-file.js';
import { connectorAddArgs, mappingAddArgs, mdecRunner } from '../helpers/cli-runner.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';

type Row = Record<string, unknown>;

/**
 * The host and finding fields as a user meets them (bin/mdec.js over dist/): the mapping download names
 * each with its source and target, a custom mapping reads a machine field, and every export format
 * carries the same camelCase names.
 */
describe('mdec: machine fields, addresses, instance id, end of support and package versions', () => {
  let sim: TestSimulator;
  let dir: string;
  let db: string;
  const secret = 'fields-cli-secret';
  const run = mdecRunner(() => ({ db, cwd: dir }), secret);
  const exported = async (kind: string, format: string, query?: string) => {
    const r = await run([
      'export',
      kind,
      '--format',
      format,
      '--connector',
      'lab',
      ...(query ? ['--query', query] : []),
    ]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 80, seed: 23, clientSecret: secret });
    dir = mkdtempSync(join(tmpdir(), 'mdec-fields-'));
    db = join(dir, 'data', 'mdec.sqlite');
    const add = await run([
      ...connectorAddArgs(sim),
      '--data-types',
      'machines,vulnerabilities,software,installed-software',
    ]);
    expect(add.code, add.stderr).toBe(0);
    const map = await run(
      mappingAddArgs({
        entity: 'host',
        source: 'managedByStatus',
        type: 'string',
        target: 'customAttributes.managedStatus',
      }),
    );
    expect(map.code, map.stderr).toBe(0);
    expect(map.stderr).not.toMatch(/not a field MDE documents/);
    const sync = await run(['sync', '--connector', 'lab', '--mode', 'full']);
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
  });
  afterAll(async () => {
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the mapping download lists every new field with its source and target', async () => {
    const r = await run(['mapping', '--connector', 'lab', '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout
      .trim()
      .split('\r\n')
      .slice(1)
      .map((l) => splitCsvLine(l));
    const targets = new Map(rows.map((c) => [c[3], c[1]]));
    for (const [target, source] of [
      ['hostSource.osProcessor', 'osProcessor'],
      ['hostSource.version', 'version'],
      ['hostSource.managedByStatus', 'managedByStatus'],
      ['hostSource.vmMetadata', 'vmMetadata'],
      [
        'host.privateIpAddresses, host.publicIpAddresses',
        'lastIpAddress / ipAddresses[].ipAddress / lastExternalIpAddress',
      ],
      ['host.privateDnsNames, host.publicDnsNames', 'computerDnsName'],
      ['host.instanceId', 'machineTags / vmMetadata.vmId'],
      ['finding.endOfSupportStatus', 'endOfSupportStatus (software inventory)'],
      ['finding.endOfSupportDate', 'endOfSupportDate (software inventory)'],
      ['software.versions', 'softwareVersion + deviceId (software inventory, else vulnerability rows)'],
    ]) {
      expect(targets.get(target), target).toBe(source);
    }
  });

  it('a custom mapping reads a machine field that is now kept as well', async () => {
    const hosts = JSON.parse(await exported('hosts', 'json')) as Row[];
    const mapped = hosts.filter((h) => h.defenderManagedByStatus !== null);
    expect(mapped.length).toBeGreaterThan(40);
    for (const h of mapped) expect((h.customAttributes as Row).managedStatus).toBe(h.defenderManagedByStatus);
  });

  it.each(['hosts', 'findings', 'software'])(
    '%s carry the same field names in csv, json and ndjson',
    async (kind) => {
      const json = JSON.parse(await exported(kind, 'json')) as Row[];
      const ndjson = (await exported(kind, 'ndjson'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Row);
      const header = splitCsvLine((await exported(kind, 'csv')).split('\r\n')[0]!);
      expect(json.length).toBeGreaterThan(0);
      expect(Object.keys(json[0]!)).toEqual(header);
      expect(Object.keys(ndjson[0]!)).toEqual(header);
      const expected = {
        hosts: [
          'privateIpAddresses',
          'publicIpAddresses',
          'privateDnsNames',
          'publicDnsNames',
          'instanceId',
          'defenderOsProcessor',
          'defenderVersion',
          'defenderManagedByStatus',
          'defenderVmMetadata',
        ],
        findings: ['endOfSupportStatus', 'endOfSupportDate'],
        software: ['versions'],
      }[kind]!;
      for (const name of expected) expect(header).toContain(name);
    },
  );

  it('--query filters on the new fields in every format', async () => {
    const hosts = JSON.parse(await exported('hosts', 'json', 'privateIp:10. and not publicIp:10.')) as Row[];
    expect(hosts.length).toBeGreaterThan(40);
    const csv = (await exported('hosts', 'csv', 'privateIp:10. and not publicIp:10.')).trim().split('\r\n');
    expect(csv.length - 1).toBe(hosts.length);
    const findings = JSON.parse(await exported('findings', 'json', 'endOfSupport:eos')) as Row[];
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings) expect(String(f.endOfSupportStatus)).toMatch(/^EOS /);
    const bad = await run([
      'export',
      'hosts',
      '--format',
      'json',
      '--connector',
      'lab',
      '--query',
      'publicIpz:1',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/publicIp/);
  });
});
