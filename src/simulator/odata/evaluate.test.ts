import { describe, expect, it } from 'vitest';
import { ENTITY_SETS, type EntitySetName } from '../../mde/odata/entity-sets.js';
import { bindFilter } from '../../mde/odata/filter-binder.js';
import { parseFilter } from '../../mde/odata/filter-parser.js';
import { compareForOrderBy, compileFilter, type OrderByClause } from './evaluate.js';

// Records copied from mde-samples/normalized (machines-list.json, machines-filter-healthstatus-ne-active.json,
// alerts.json, alerts-expand-evidence.json, ../machineactions-list.json), trimmed to the fields the filters
// read. Both machine samples share one id in the docs; the second gets its own here. The rest are
// made up to cover the cases the samples lack (nulls, tags, other states).
const machines: Record<string, unknown>[] = [
  {
    id: '1e5bc9d7e413ddd7902c2932e418702b84d0cc07',
    computerDnsName: 'mymachine1.contoso.com',
    firstSeen: '2018-08-02T14:55:03.7791856Z',
    lastSeen: '2018-08-02T14:55:03.7791856Z',
    osPlatform: 'Windows10',
    version: '1709',
    lastIpAddress: '172.17.230.209',
    healthStatus: 'Active',
    rbacGroupId: 140,
    rbacGroupName: 'The-A-Team',
    riskScore: 'Low',
    exposureLevel: 'Medium',
    aadDeviceId: '80fe8ff8-2624-418e-9591-41f0491218f9',
    machineTags: ['test tag 1', 'test tag 2'],
  },
  {
    id: 'sample-healthstatus-ne-active',
    computerDnsName: 'mymachine1.contoso.com',
    firstSeen: '2018-08-02T14:55:03.7791856Z',
    lastSeen: '2021-01-25T07:27:36.052313Z',
    osPlatform: 'Windows10',
    version: '1901',
    lastIpAddress: '10.166.113.46',
    healthStatus: 'Active',
    deviceValue: 'Normal',
    rbacGroupName: 'The-A-Team',
    riskScore: 'Low',
    exposureLevel: 'Low',
    aadDeviceId: 'fd2e4d29-7072-4195-aaa5-1af139b78028',
    machineTags: ['Tag1', 'Tag2'],
  },
  {
    id: 'm3',
    computerDnsName: 'server-01.contoso.com',
    lastSeen: '2018-07-31T23:59:59Z',
    osPlatform: 'WindowsServer2019',
    healthStatus: 'Inactive',
    deviceValue: 'High',
    rbacGroupId: 11,
    riskScore: 'High',
    exposureLevel: 'Medium',
    aadDeviceId: null,
    machineTags: ['ExampleTag'],
  },
  {
    id: 'm4',
    computerDnsName: null,
    lastSeen: '2019-11-22T00:00:00Z',
    osPlatform: 'Linux',
    healthStatus: 'ImpairedCommunication',
    rbacGroupId: 0,
    riskScore: null,
    exposureLevel: 'Low',
    aadDeviceId: null,
    machineTags: ["O'Brien"],
  },
  {
    id: 'm5',
    computerDnsName: 'MyMachine5.contoso.com',
    // one 100 ns tick after 2018-08-01Z: only a 7-digit comparison tells them apart
    lastSeen: '2018-08-01T00:00:00.0000001Z',
    osPlatform: 'Windows11',
    healthStatus: 'Inactive',
    rbacGroupId: 140,
    riskScore: 'high',
    exposureLevel: 'Medium',
    machineTags: ['exampletag', 'Other'],
  },
];

const alerts: Record<string, unknown>[] = [
  {
    id: 'da637308392288907382_-880718168',
    incidentId: 7587,
    investigationId: 723156,
    assignedTo: 'secop123@contoso.com',
    severity: 'Low',
    status: 'New',
    detectionSource: 'WindowsDefenderAv',
    category: 'SuspiciousActivity',
    alertCreationTime: '2020-07-20T10:53:48.7657932Z',
    lastEventTime: '2020-07-20T10:52:18.1362905Z',
    lastUpdateTime: '2020-07-20T10:53:50.19Z',
  },
  {
    id: 'da637472900382838869_1364969609',
    incidentId: 1126093,
    investigationId: null,
    assignedTo: null,
    severity: 'Low',
    status: 'New',
    detectionSource: 'WindowsDefenderAtp',
    category: 'Execution',
    alertCreationTime: '2021-01-26T20:33:58.0Z',
    lastEventTime: '2021-01-26T20:31:32.9562661Z',
    lastUpdateTime: '2021-01-26T20:33:59.2Z',
  },
  {
    id: 'a3',
    incidentId: null,
    investigationId: null,
    assignedTo: null,
    severity: 'High',
    status: 'Resolved',
    detectionSource: 'WindowsDefenderAtp',
    category: 'Malware',
    alertCreationTime: '2019-11-20T08:00:00Z',
    lastEventTime: '2019-11-20T07:59:00Z',
    lastUpdateTime: '2019-11-21T23:59:59.9999999Z',
  },
];

const machineActions: Record<string, unknown>[] = [
  {
    id: '69dc3630-1ccc-4342-acf3-35286eec741d',
    type: 'CollectInvestigationPackage',
    requestor: 'Analyst@contoso.com',
    status: 'Succeeded',
    machineId: 'f46b9bb259ed4a7fb9981b73510e3cc7aa81ec1f',
    creationDateTimeUtc: '2018-12-04T12:43:57.2011911Z',
  },
  {
    id: '2e9da30d-27f6-4208-81f2-9cd3d67893ba',
    type: 'RunAntiVirusScan',
    requestor: 'Analyst@contoso.com',
    status: 'Succeeded',
    machineId: 'f46b9bb259ed4a7fb9981b73510e3cc7aa81ec1f',
    creationDateTimeUtc: '2018-12-04T12:18:27.1293487Z',
  },
  {
    id: '44cffc15-0e3d-4cbf-96aa-bf76f9b27f5e',
    type: 'StopAndQuarantineFile',
    requestor: 'Analyst@contoso.com',
    status: 'Succeeded',
    machineId: 'f46b9bb259ed4a7fb9981b73510e3cc7aa81ec1f',
    creationDateTimeUtc: '2018-12-04T12:15:40.6052029Z',
  },
];

const cves: Record<string, unknown>[] = [
  {
    id: 'CVE-2019-0608',
    name: 'CVE-2019-0608',
    cvssV3: 4.3,
    severity: 'Medium',
    publishedOn: '2019-10-08T00:00:00Z',
  },
  {
    id: 'CVE-2020-1472',
    name: 'CVE-2020-1472',
    cvssV3: 10,
    severity: 'Critical',
    publishedOn: '2020-08-17T00:00:00Z',
  },
  {
    id: 'CVE-2021-0001',
    name: 'CVE-2021-0001',
    cvssV3: null,
    severity: 'Low',
    publishedOn: '2021-01-12T00:00:00Z',
  },
];

const recommendations: Record<string, unknown>[] = [
  {
    id: 'va-_-microsoft-_-edge',
    vendor: 'microsoft',
    severityScore: 7.1,
    status: 'Active',
    remediationType: 'Update',
  },
  {
    id: 'sca-_-scid-2500',
    vendor: 'microsoft',
    severityScore: 3,
    status: 'Exception',
    remediationType: 'ConfigurationChange',
  },
];

function ids(set: EntitySetName, records: Record<string, unknown>[], filter: string): string[] {
  const predicate = compileFilter(bindFilter(parseFilter(filter), ENTITY_SETS[set]));
  return records.filter(predicate).map((r) => String(r.id));
}

const M1 = '1e5bc9d7e413ddd7902c2932e418702b84d0cc07';
const M2 = 'sample-healthstatus-ne-active';

describe('filters on machines', () => {
  it.each([
    // docs/mde-api.md#machine-filters examples
    ["riskScore eq 'High'", ['m3', 'm5']],
    ["healthStatus ne 'Active'", ['m3', 'm4', 'm5']],
    ['lastSeen gt 2018-08-01Z', [M1, M2, 'm4', 'm5']],
    ["startswith(computerDnsName,'mymachine')", [M1, M2, 'm5']],
    ["machineTags/any(tag: tag eq 'ExampleTag')", ['m3', 'm5']],
    ['rbacGroupId eq 140', [M1, 'm5']],
    [
      "exposureLevel eq 'Medium' and (healthStatus eq 'Active' or healthStatus eq 'Inactive')",
      [M1, 'm3', 'm5'],
    ],
    // and binds tighter than or
    ["healthStatus eq 'Inactive' or exposureLevel eq 'Low' and healthStatus eq 'Active'", [M2, 'm3', 'm5']],
    ["(healthStatus eq 'Inactive' or exposureLevel eq 'Low') and healthStatus eq 'Active'", [M2]],
    ["not (healthStatus eq 'Active')", ['m3', 'm4', 'm5']],
    ["not startswith(computerDnsName, 'mymachine')", ['m3', 'm4']],
    ["startswith(computerDnsName, 'mymachine') eq false", ['m3', 'm4']],
    ["startswith(computerDnsName, 'mymachine') ne false", [M1, M2, 'm5']],
    ["endswith(computerDnsName, '.CONTOSO.COM')", [M1, M2, 'm3', 'm5']],
    // case-insensitive names, keywords and values (docs/mde-api.md#field-casing)
    ["HealthStatus EQ 'active'", [M1, M2]],
    ["ComputerDnsName eq 'MYMACHINE5.contoso.com'", ['m5']],
    [`id eq '${M1.toUpperCase()}'`, [M1]],
    // instants, with 100 ns precision and offsets
    ['lastSeen ge 2018-08-01T00:00:00.0000001Z', [M1, M2, 'm4', 'm5']],
    ['lastSeen gt 2018-08-01T00:00:00.0000001Z', [M1, M2, 'm4']],
    ['lastSeen lt 2019-11-22T01:00:00+01:00', [M1, 'm3', 'm5']],
    ['lastSeen le 2019-11-22T01:00:00+01:00', [M1, 'm3', 'm4', 'm5']],
    ['lastSeen eq 2019-11-22Z', ['m4']],
    // numbers, either side
    ['rbacGroupId gt 11', [M1, 'm5']],
    ['11 lt rbacGroupId', [M1, 'm5']],
    ['rbacGroupId le 11', ['m3', 'm4']],
    ["'High' eq riskScore", ['m3', 'm5']],
    // GUIDs unquoted or quoted, any case
    ['aadDeviceId eq 80fe8ff8-2624-418e-9591-41f0491218f9', [M1]],
    ["aadDeviceId eq 'FD2E4D29-7072-4195-AAA5-1AF139B78028'", [M2]],
    ['aadDeviceId ne 80fe8ff8-2624-418e-9591-41f0491218f9', [M2, 'm3', 'm4', 'm5']],
    // null semantics
    ['riskScore eq null', ['m4']],
    ['riskScore ne null', [M1, M2, 'm3', 'm5']],
    ["riskScore ne 'High'", [M1, M2, 'm4']],
    ["riskScore gt 'A'", [M1, M2, 'm3', 'm5']],
    ['riskScore gt null', []],
    ['computerDnsName eq null', ['m4']],
    ['aadDeviceId eq null', ['m3', 'm4', 'm5']],
    ['deviceValue eq null', [M1, 'm4', 'm5']],
    ['rbacGroupId eq null', [M2]],
    // lambdas
    ["machineTags/any(t: t eq 'O''Brien')", ['m4']],
    ["machineTags/any(x: startswith(x, 'test'))", [M1]],
    ["machineTags/any(x: x eq 'Tag1' or x eq 'Other')", [M2, 'm5']],
    ["machineTags/any(t: t eq 'ExampleTag') and healthStatus eq 'Inactive' and rbacGroupId eq 140", ['m5']],
    ["machineTags/any(t: t eq 'ExampleTag' and healthStatus eq 'Inactive')", ['m3', 'm5']],
    ['machineTags/any()', [M1, M2, 'm3', 'm4', 'm5']],
    ["not machineTags/any(t: t eq 'ExampleTag')", [M1, M2, 'm4']],
    // constants
    ['true', [M1, M2, 'm3', 'm4', 'm5']],
    ["false or riskScore eq 'Low'", [M1, M2]],
  ])('%s', (filter, expected) => {
    expect(ids('machines', machines, filter)).toEqual(expected);
  });
});

describe('filters on the other entity sets', () => {
  it.each([
    // docs/mde-api.md#alerts
    [
      'lastUpdateTime ge 2019-11-22T00:00:00Z',
      ['da637308392288907382_-880718168', 'da637472900382838869_1364969609'],
    ],
    ['lastUpdateTime ge 2021-01-26T20:33:59.2Z', ['da637472900382838869_1364969609']],
    ['lastUpdateTime gt 2021-01-26T20:33:59.2Z', []],
    ['lastUpdateTime lt 2019-11-22Z', ['a3']],
    ["status ne 'Resolved'", ['da637308392288907382_-880718168', 'da637472900382838869_1364969609']],
    ["asssignedTo eq 'secop123@contoso.com'", ['da637308392288907382_-880718168']],
    ["AssignedTo eq 'SECOP123@contoso.com'", ['da637308392288907382_-880718168']],
    ['InvestigationId eq 723156', ['da637308392288907382_-880718168']],
    ['incidentId eq null', ['a3']],
    ["severity eq 'high' and detectionSource eq 'WindowsDefenderAtp'", ['a3']],
  ])('alerts: %s', (filter, expected) => {
    expect(ids('alerts', alerts, filter)).toEqual(expected);
  });

  it.each([
    // docs/mde-api.md#machine-actions
    [
      "requestor eq 'Analyst@contoso.com' and type eq 'RunAntiVirusScan'",
      ['2e9da30d-27f6-4208-81f2-9cd3d67893ba'],
    ],
    [
      "machineId eq 'f46b9bb259ed4a7fb9981b73510e3cc7aa81ec1f' and status eq 'Succeeded'",
      machineActions.map((a) => a.id),
    ],
    [
      'creationDateTimeUtc ge 2018-12-04T12:18:27.1293487Z',
      ['69dc3630-1ccc-4342-acf3-35286eec741d', '2e9da30d-27f6-4208-81f2-9cd3d67893ba'],
    ],
    ['id eq 44CFFC15-0E3D-4CBF-96AA-BF76F9B27F5E', ['44cffc15-0e3d-4cbf-96aa-bf76f9b27f5e']],
    ["id eq '44cffc15-0e3d-4cbf-96aa-bf76f9b27f5e'", ['44cffc15-0e3d-4cbf-96aa-bf76f9b27f5e']],
  ])('machineActions: %s', (filter, expected) => {
    expect(ids('machineActions', machineActions, filter)).toEqual(expected);
  });

  it.each([
    ['cvssV3 ge 4.3', ['CVE-2019-0608', 'CVE-2020-1472']],
    ['cvssV3 gt 4.3', ['CVE-2020-1472']],
    ['cvssV3 eq null', ['CVE-2021-0001']],
    ["severity eq 'critical' or publishedOn gt 2021-01-01Z", ['CVE-2020-1472', 'CVE-2021-0001']],
    ["startswith(id, 'cve-2019')", ['CVE-2019-0608']],
  ])('vulnerabilities: %s', (filter, expected) => {
    expect(ids('vulnerabilities', cves, filter)).toEqual(expected);
  });

  it.each([
    ['severityScore gt 5', ['va-_-microsoft-_-edge']],
    ["status eq 'Exception'", ['sca-_-scid-2500']],
    ["vendor eq 'Microsoft' and remediationType ne 'Update'", ['sca-_-scid-2500']],
  ])('recommendations: %s', (filter, expected) => {
    expect(ids('recommendations', recommendations, filter)).toEqual(expected);
  });

  it('reads numeric strings as numbers (rbacGroupId is a String in the docs)', () => {
    expect(ids('machines', [{ id: 'x', rbacGroupId: '140' }], 'rbacGroupId eq 140')).toEqual(['x']);
  });

  it('treats unparseable timestamps as unordered, not as errors', () => {
    const records = [
      { id: 'bad', lastSeen: 'garbage' },
      { id: 'ok', lastSeen: '2020-01-01T00:00:00Z' },
    ];
    expect(ids('machines', records, 'lastSeen gt 2019-01-01Z')).toEqual(['ok']);
    expect(ids('machines', records, 'lastSeen ne 2019-01-01Z')).toEqual(['bad', 'ok']);
  });
});

describe('compareForOrderBy', () => {
  const sorted = (clauses: OrderByClause[], records = machines, withSpec = true) =>
    [...records]
      .sort(compareForOrderBy(clauses, withSpec ? ENTITY_SETS.machines : undefined))
      .map((r) => r.id);

  it('orders datetimes as instants, whatever their number of fractional digits', () => {
    const records = [
      { id: 'b', lastSeen: '2021-01-26T20:33:59Z' },
      { id: 'd', lastSeen: '2021-01-26T20:33:59.2000001Z' },
      { id: 'a', lastSeen: '2021-01-26T21:33:58+02:00' },
      { id: 'c', lastSeen: '2021-01-26T20:33:59.2Z' },
    ];
    expect(sorted([{ property: 'lastSeen', direction: 'asc' }], records)).toEqual(['a', 'b', 'c', 'd']);
    expect(sorted([{ property: 'lastSeen', direction: 'desc' }], records)).toEqual(['d', 'c', 'b', 'a']);
    // same order when the type is inferred from the values
    expect(sorted([{ property: 'lastSeen', direction: 'asc' }], records, false)).toEqual([
      'a',
      'b',
      'c',
      'd',
    ]);
  });

  it('puts nulls first ascending and last descending', () => {
    expect(sorted([{ property: 'riskScore', direction: 'asc' }])).toEqual(['m4', 'm3', 'm5', M1, M2]);
    expect(sorted([{ property: 'riskScore', direction: 'desc' }])).toEqual([M1, M2, 'm3', 'm5', 'm4']);
  });

  it('orders numbers numerically and breaks ties with the next clause', () => {
    expect(
      sorted([
        { property: 'rbacGroupId', direction: 'desc' },
        { property: 'lastSeen', direction: 'asc' },
      ]),
    ).toEqual(['m5', M1, 'm3', 'm4', M2]);
    const numbers = [
      { id: 'ten', rbacGroupId: 10 },
      { id: 'nine', rbacGroupId: 9 },
    ];
    expect(sorted([{ property: 'rbacGroupId', direction: 'asc' }], numbers)).toEqual(['nine', 'ten']);
    expect(sorted([{ property: 'rbacGroupId', direction: 'asc' }], numbers, false)).toEqual(['nine', 'ten']);
  });

  it('compares strings case-insensitively and keeps the source order of ties', () => {
    const records = [
      { id: '1', computerDnsName: 'beta' },
      { id: '2', computerDnsName: 'Alpha' },
      { id: '3', computerDnsName: 'BETA' },
      { id: '4', computerDnsName: 'alpha' },
    ];
    expect(sorted([{ property: 'computerDnsName', direction: 'asc' }], records)).toEqual([
      '2',
      '4',
      '1',
      '3',
    ]);
  });

  it('resolves the property name case-insensitively through the spec', () => {
    expect(sorted([{ property: 'RBACGROUPID', direction: 'asc' }])).toEqual([M2, 'm4', 'm3', M1, 'm5']);
  });
});
