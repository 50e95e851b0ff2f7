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
        privateIpAddresses: ['172.17.230.209'],
        publicIpAddresses: ['167.220.196.71'],
        privateDnsNames: [],
        publicDnsNames: ['mymachine1.contoso.com'],
        instanceId: null,
      },
      {
        osProcessor: 'x64',
        version: '1709',
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
        privateIpAddresses: ['10.166.113.46', '10.166.113.47'],
        publicIpAddresses: ['2a01:110:68:4:59e4:3916:3b3e:4f96', '167.220.203.175'],
      },
      {
        aadDeviceId: 'fd2e4d29-7072-4195-aaa5-1af139b78028',
        rbacGroupId: null,
        osProcessor: 'x64',
        version: '1901',
        managedByStatus: null,
        vmMetadata: null,
      },
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

describe("what the example machines say beyond Microsoft's values", () => {
  const base = () => (sample('machines-list.json').value as Record<string, unknown>[])[0]!;

  it.each([
    ['instanceId:i-0abc123', 'i-0abc123'],
    ['InstanceID=i-0abc123', 'i-0abc123'],
    ['INSTANCEID : i-0abc123 ', 'i-0abc123'],
  ])('the tag %s names the instance, before the VM id', (tag, expected) => {
    const m = machine({
      ...base(),
      machineTags: ['test tag 1', tag],
      vmMetadata: { vmId: 'vm-1', cloudProvider: 'Azure', resourceId: null, subscriptionId: null },
    });
    expect(m.host.instanceId).toBe(expected);
    expect(m.host.tags).toContain(tag);
  });

  it("a cloud VM without the tag is named by its VM id, kept with the machine's other fields", () => {
    const vmMetadata = {
      vmId: 'c4a3b2f0-0000-4000-8000-000000000001',
      cloudProvider: 'Azure',
      resourceId: '/x',
      subscriptionId: 's',
    };
    const m = machine({ ...base(), vmMetadata, managedByStatus: 'Success', managedBy: 'Intune' });
    expect(m.host.instanceId).toBe(vmMetadata.vmId);
    expect(m.source).toMatchObject({
      vmMetadata,
      managedByStatus: 'Success',
      managedBy: 'Intune',
      osProcessor: 'x64',
    });
    expect(m.source.extra).not.toHaveProperty('vmMetadata');
  });

  it('loopback and link-local addresses are in neither list; a private-use DNS suffix is private', () => {
    const m = machine({
      ...base(),
      computerDnsName: 'build-07.corp.internal',
      lastExternalIpAddress: null,
      ipAddresses: [
        { ipAddress: '127.0.0.1', macAddress: null, type: 'SoftwareLoopback', operationalStatus: 'Up' },
        { ipAddress: 'fe80::1c2d:3e4f:5a6b:7c8d', macAddress: '001122AABBCC', operationalStatus: 'Up' },
        { ipAddress: '169.254.10.20', macAddress: '001122AABBCC', operationalStatus: 'Up' },
        { ipAddress: '100.64.3.4', macAddress: '001122AABBCC', operationalStatus: 'Up' },
        { ipAddress: 'fd12:3456:789a::1', macAddress: '001122AABBCC', operationalStatus: 'Up' },
        { ipAddress: '52.10.20.30', macAddress: '001122AABBCC', operationalStatus: 'Up' },
      ],
    });
    expect(m.host.privateIpAddresses).toEqual(['172.17.230.209', '100.64.3.4', 'fd12:3456:789a::1']);
    expect(m.host.publicIpAddresses).toEqual(['52.10.20.30']);
    expect(m.host.privateDnsNames).toEqual(['build-07.corp.internal']);
    expect(m.host.publicDnsNames).toEqual([]);
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
