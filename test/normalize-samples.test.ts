import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseRecord } from '../src/mde/parse/parse-record.js';
import { MachineSchema } from '../src/mde/schemas/machine.js';
import { VulnerabilityChangeRowSchema } from '../src/mde/schemas/vulnerability-change-row.js';
import { VulnerabilityRowSchema } from '../src/mde/schemas/vulnerability-row.js';
import { normalizeFinding } from '../src/normalize/normalize-finding.js';
import { normalizeMachine } from '../src/normalize/normalize-machine.js';

const sample = (file: string) =>
  JSON.parse(
    readFileSync(new URL(`./fixtures/mde-samples/normalized/${file}`, import.meta.url), 'utf8'),
  ) as Record<string, unknown>;

function machine(raw: unknown) {
  const parsed = parseRecord(MachineSchema, raw);
  if (!parsed.ok) throw new Error(parsed.reason);
  return normalizeMachine(parsed.value);
}

/** Microsoft's example bodies (test/fixtures/mde-samples) normalize into the hosts and findings we expect. */
describe("normalizing Microsoft's example machines into hosts", () => {
  it.each([
    [
      'machines-list.json',
      (sample('machines-list.json').value as unknown[])[0],
      {
        name: 'mymachine1.contoso.com',
        fqdn: 'mymachine1.contoso.com',
        hostname: 'mymachine1',
        ipAddresses: ['172.17.230.209'],
        osPlatform: 'Windows10',
        osVersion: '1709',
        osBuild: '18209',
        tags: ['test tag 1', 'test tag 2'],
      },
      {
        machineId: '1e5bc9d7e413ddd7902c2932e418702b84d0cc07',
        aadDeviceId: '80fe8ff8-2624-418e-9591-41f0491218f9',
        rbacGroupId: 140,
        healthStatus: 'Active',
        riskScore: 'Low',
        exposureLevel: 'Medium',
      },
    ],
    [
      'alert-related-machine.json',
      sample('alert-related-machine.json'),
      {
        name: 'mymachine1.contoso.com',
        ipAddresses: ['10.166.113.46', '10.166.113.47', '2a01:110:68:4:59e4:3916:3b3e:4f96'],
        macAddresses: ['8c:ec:4b:89:7e:73'],
        osVersion: '1901',
        tags: ['Tag1', 'Tag2'],
      },
      { aadDeviceId: 'fd2e4d29-7072-4195-aaa5-1af139b78028', rbacGroupId: null },
    ],
  ])('%s', (_file, raw, host, source) => {
    const m = machine(raw);
    expect(m.host).toMatchObject(host);
    expect(m.source).toMatchObject(source);
  });

  it.each([
    ['a DNS name', { computerDnsName: 'pc-01.contoso.com', lastIpAddress: '10.0.0.5' }, 'pc-01.contoso.com'],
    ['no DNS name: the IP', { computerDnsName: null, lastIpAddress: '10.0.0.5' }, '10.0.0.5'],
    [
      'no DNS name nor IP: the AAD device id',
      { computerDnsName: null, lastIpAddress: null, aadDeviceId: '80FE8FF8-2624-418E-9591-41F0491218F9' },
      '80fe8ff8-2624-418e-9591-41f0491218f9',
    ],
    [
      'the all-zero AAD id is no id',
      { computerDnsName: null, lastIpAddress: null, aadDeviceId: '00000000-0000-0000-0000-000000000000' },
      '1e5bc9d7e413ddd7902c2932e418702b84d0cc07',
    ],
    ['spaces and parentheses are kept', { computerDnsName: "John's iPad (2)" }, "John's iPad (2)"],
  ])('host name from %s', (_case, patch, expected) => {
    const base = (sample('machines-list.json').value as Record<string, unknown>[])[0]!;
    const m = machine({ ...base, ...patch });
    expect(m.host.name).toBe(expected);
    if ('aadDeviceId' in patch && String(patch.aadDeviceId).startsWith('0000'))
      expect(m.source.aadDeviceId).toBeNull();
  });
});

describe("normalizing Microsoft's example vulnerability rows into findings", () => {
  it('rows without a CVE are installed software, not findings', () => {
    for (const raw of sample('machine-vulns-by-machine.json').value as unknown[]) {
      const parsed = parseRecord(VulnerabilityRowSchema, raw);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) expect(normalizeFinding(parsed.value)).toBeNull();
    }
  });

  it.each([
    [
      '01aa8c73065bb12345918693f3f94ce322107d24',
      {
        findingKey: '01aa8c73065bb12345918693f3f94ce322107d24|CVE-2020-26971|mozilla|firefox|83.0.0.0',
        name: 'mozilla firefox 83.0.0.0 CVE-2020-26971',
        sourceSeverity: 'High',
        severity: 4,
      },
    ],
    [
      '038df381234510d357ac19b0113ef922e4e212b3',
      {
        cveId: 'CVE-2020-16011',
        softwareVendor: 'google',
        softwareName: 'chrome',
        softwareVersion: '81.0.4044.138',
        severity: 4,
      },
    ],
  ])('change row of device %s', (deviceId, expected) => {
    const raw = (sample('vulns-changes.json').value as Array<Record<string, unknown>>).find(
      (r) => r.deviceId === deviceId,
    );
    const parsed = parseRecord(VulnerabilityChangeRowSchema, raw);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.value.status).toBe('Fixed');
    expect(parsed.value.eventTimestamp).toBe('2020-11-03T10:13:34.847Z');
    expect(normalizeFinding(parsed.value)).toMatchObject(expected);
  });

  it('a PascalCase export line gives the same finding as its camelCase JSON twin', () => {
    // A delta row minus its delta fields is a full-export row.
    const {
      eventTimestamp: _e,
      status: _s,
      ...camel
    } = (sample('vulns-changes.json').value as Array<Record<string, unknown>>).find((r) => r.cveId)!;
    const pascal = Object.fromEntries(
      Object.entries(camel).map(([k, v]) => [
        k.startsWith('os') ? `OS${k.slice(2)}` : k.charAt(0).toUpperCase() + k.slice(1),
        v,
      ]),
    );
    const a = parseRecord(VulnerabilityRowSchema, camel);
    const b = parseRecord(VulnerabilityRowSchema, pascal);
    if (!a.ok || !b.ok) throw new Error('did not parse');
    expect(normalizeFinding(b.value)).toEqual(normalizeFinding(a.value));
  });
});
