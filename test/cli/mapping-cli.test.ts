import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorAddArgs, mappingAddArgs, mdecRunner } from '../helpers/cli-runner.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';

/** `mdec mapping` as a user runs it (docs/operations.md): bin/mdec.js over dist/. */
describe('mdec mapping: transform maps and custom fields', () => {
  let sim: TestSimulator;
  let dir: string;
  let db: string;
  const secret = 'mapping-cli-secret';
  const run = mdecRunner(() => ({ db, cwd: dir }), secret);
  const mappingCsv = async () => {
    const r = await run(['mapping', '--connector', 'lab', '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim().split('\r\n');
  };

  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 60, seed: 9, clientSecret: secret });
    dir = mkdtempSync(join(tmpdir(), 'mdec-mapping-'));
    db = join(dir, 'data', 'mdec.sqlite');
    const add = await run(connectorAddArgs(sim));
    expect(add.code, add.stderr).toBe(0);
  });
  afterAll(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a connector starts on the default map; clone gives it its own, once', async () => {
    const lines = await mappingCsv();
    expect(lines[0]).toBe('entity,sourceField,dataType,targetField,note,origin');
    expect(lines.slice(1).every((l) => l.endsWith(',default'))).toBe(true);
    const clone = await run(['mapping', 'clone', '--connector', 'lab', '--name', 'Lab map']);
    expect(clone.code, clone.stderr).toBe(0);
    expect(clone.stdout).toMatch(/Cloned the default transform map for connector "lab" as "Lab map"/);
    const again = await run(['--json', 'mapping', 'clone', '--connector', 'lab']);
    expect(JSON.parse(again.stdout)).toEqual({
      connector: 'lab',
      map: 'Lab map',
      cloned: false,
      customFields: 0,
    });
  });

  it.each([
    [['mapping', '--connector', 'nope'], /--connector: no connector named "nope"/],
    [['mapping', '--connector', 'lab', '--format', 'xlsx'], /--format must be csv, json or ndjson/],
    [
      mappingAddArgs({ entity: 'alert', source: 'id', type: 'string', target: 'customAttributes.a' }),
      /--entity must be host or finding \(got "alert"\)/,
    ],
    [
      mappingAddArgs({ entity: 'host', source: 'vm Metadata', type: 'string', target: 'customAttributes.a' }),
      /--source "vm Metadata": "vm Metadata" is not a field name/,
    ],
    [
      mappingAddArgs({ entity: 'host', source: 'riskScore', type: 'int', target: 'customAttributes.a' }),
      /--type must be one of string, number, boolean, datetime, list/,
    ],
    [
      mappingAddArgs({ entity: 'host', source: 'riskScore', type: 'string', target: 'riskScore' }),
      /--target must be customAttributes.NAME/,
    ],
    [
      [
        'mapping',
        'add',
        '--connector',
        'lab',
        '--entity',
        'host',
        '--source',
        'riskScore',
        '--type',
        'string',
      ],
      /required option '--target <field>' not specified/,
    ],
    [
      ['mapping', 'remove', '--connector', 'lab', '--entity', 'host', '--target', 'customAttributes.none'],
      /--target: connector "lab" has no host mapping into customAttributes.none/,
    ],
    [['mapping', 'reset'], /required option '--connector <name>' not specified/],
  ])('exits 2 naming the field for %j', async (args, message) => {
    const r = await run(args);
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('custom fields land in the exports after a sync, and the download lists them', async () => {
    const adds = [
      ['host', 'vmMetadata.vmId', 'string', 'customAttributes.vmId'],
      ['host', 'onboardingStatus', 'string', 'customAttributes.onboarding'],
      ['finding', 'osPlatform', 'string', 'customAttributes.os'],
      ['finding', 'cvssScore', 'number', 'customAttributes.cvss'],
    ];
    for (const [entity, source, type, target] of adds) {
      const r = await run(mappingAddArgs({ entity: entity!, source: source!, type: type!, target: target! }));
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`Mapped ${entity} ${source} (${type}) to ${target}`);
    }
    const dup = await run(
      mappingAddArgs({
        entity: 'host',
        source: 'riskScore',
        type: 'string',
        target: 'customAttributes.vmId',
      }),
    );
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/--target: host customAttributes.vmId is already mapped from vmMetadata.vmId/);
    const odd = await run(
      mappingAddArgs({
        entity: 'host',
        source: 'customerTier',
        type: 'string',
        target: 'customAttributes.tier',
      }),
    );
    expect(odd.code).toBe(0);
    expect(odd.stderr).toMatch(/note: "customertier" is not a field MDE documents for machines/);

    const lines = await mappingCsv();
    expect(lines).toContain(
      'host,vmMetadata.vmId,string,host.customAttributes.vmId,custom field mapping,custom',
    );
    expect(lines).toContain(
      'finding,cvssScore,number,finding.customAttributes.cvss,custom field mapping,custom',
    );
    expect(lines.filter((l) => l.endsWith(',custom'))).toHaveLength(5);

    const sync = await run(['sync', '--connector', 'lab', '--mode', 'full']);
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
    const hosts = JSON.parse(
      (await run(['export', 'hosts', '--format', 'json', '--connector', 'lab'])).stdout,
    ) as Array<Record<string, unknown>>;
    const truth = new Map((await sim.truthRows('machines')).map((m) => [String(m.id).toLowerCase(), m]));
    const onboarded = hosts.filter((h) => (h.customAttributes as Record<string, unknown>).onboarding);
    expect(onboarded.length).toBeGreaterThan(40);
    const withVm = hosts.filter((h) => (h.customAttributes as Record<string, unknown>).vmId);
    expect(withVm.length).toBeGreaterThan(0);
    for (const h of withVm) {
      const vm = truth.get(String(h.defenderMachineId))?.vmMetadata as { vmId?: string } | undefined;
      if (!h.defenderMergedIntoMachineId)
        expect((h.customAttributes as { vmId: string }).vmId).toBe(vm?.vmId);
    }
    const findings = await run(['export', 'findings', '--format', 'csv', '--connector', 'lab']);
    const [header, ...rows] = findings.stdout.trim().split('\r\n');
    expect(header!.split(',')).toContain('customAttributes');
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.every((r) => r.includes('""os"":""'))).toBe(true);
  });

  it('remove drops one custom row; reset goes back to the default map', async () => {
    const rm = await run([
      'mapping',
      'remove',
      '--connector',
      'lab',
      '--entity',
      'host',
      '--target',
      'customAttributes.tier',
    ]);
    expect(rm.code, rm.stderr).toBe(0);
    expect((await mappingCsv()).filter((l) => l.endsWith(',custom'))).toHaveLength(4);
    const reset = await run(['mapping', 'reset', '--connector', 'lab']);
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toMatch(/uses the default transform map again/);
    const lines = await mappingCsv();
    expect(lines.filter((l) => l.endsWith(',custom'))).toHaveLength(0);
    const json = JSON.parse(
      (await run(['mapping', '--connector', 'lab', '--format', 'json'])).stdout,
    ) as Array<Record<string, string>>;
    expect(json.length).toBe(lines.length - 1);
    const sync = await run(['sync', '--connector', 'lab', '--mode', 'full']);
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
    const hosts = JSON.parse(
      (await run(['export', 'hosts', '--format', 'json', '--connector', 'lab'])).stdout,
    ) as Array<Record<string, unknown>>;
    expect(
      hosts.filter((h) => h.status !== 'merged').every((h) => JSON.stringify(h.customAttributes) === '{}'),
    ).toBe(true);
  });
});
