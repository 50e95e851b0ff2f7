import { describe, expect, it } from 'vitest';
import { createSimulatedTenant } from './create-simulated-tenant.js';
import { SNAPSHOT_MS } from './simulated-tenant.js';

/**
 * Every field of every record type (types.ts) is present with the right JS type, and nothing else is.
 * Kinds: 's' string, 'n' number, 'b' boolean, '?' suffix nullable, '[]' suffix array of the kind, or a
 * predicate. Plain checks that throw on the first mismatch: thousands of rows through expect() are slow.
 */
type Kind = string | ((value: unknown) => boolean);
type Spec = Record<string, Kind>;

function fail(path: string, what: string, value: unknown): never {
  throw new Error(`${path}: expected ${what}, got ${JSON.stringify(value)}`);
}

function check(kind: Kind, value: unknown, path: string): void {
  if (typeof kind === 'function') {
    if (!kind(value)) fail(path, 'a valid value', value);
    return;
  }
  if (kind.endsWith('?')) {
    if (value !== null) check(kind.slice(0, -1), value, path);
    return;
  }
  if (kind.endsWith('[]')) {
    if (!Array.isArray(value)) fail(path, 'an array', value);
    for (const [i, item] of value.entries()) check(kind.slice(0, -2), item, `${path}[${i}]`);
    return;
  }
  const js = { s: 'string', n: 'number', b: 'boolean' }[kind] ?? kind;
  if (typeof value !== js) fail(path, js, value);
  if (js === 'number' && !Number.isFinite(value)) fail(path, 'a finite number', value);
}

function shape(record: unknown, spec: Spec, name: string): true {
  if (typeof record !== 'object' || record === null) fail(name, 'an object', record);
  const obj = record as Record<string, unknown>;
  const keys = Object.keys(obj).sort().join(',');
  const wanted = Object.keys(spec).sort().join(',');
  if (keys !== wanted) fail(`${name} keys`, wanted, keys);
  for (const [key, kind] of Object.entries(spec)) check(kind, obj[key], `${name}.${key}`);
  return true;
}

const oneOf =
  (...values: unknown[]) =>
  (v: unknown) =>
    values.includes(v);
const matches =
  (re: RegExp, nullable = false) =>
  (v: unknown) =>
    (nullable && v === null) || (typeof v === 'string' && re.test(v));
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z$/;
const iso =
  (nullable = false) =>
  (v: unknown) =>
    (nullable && v === null) || (matches(ISO)(v) && !Number.isNaN(Date.parse(v as string)));
const tvm = matches(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
const MACHINE_ID = matches(/^[0-9a-f]{40}$/);

const MACHINE: Spec = {
  id: MACHINE_ID,
  computerDnsName: 's?',
  firstSeen: iso(),
  lastSeen: iso(),
  osPlatform: oneOf(
    'Windows10',
    'Windows11',
    'WindowsServer2019',
    'WindowsServer2022',
    'macOS',
    'Linux',
    'iOS',
    'Android',
  ),
  osVersion: 's?',
  osProcessor: 's',
  version: 's?',
  lastIpAddress: 's?',
  lastExternalIpAddress: 's?',
  agentVersion: 's?',
  osBuild: 'n?',
  healthStatus: oneOf(
    'Active',
    'Inactive',
    'ImpairedCommunication',
    'NoSensorData',
    'NoSensorDataImpairedCommunication',
    'Unknown',
  ),
  deviceValue: oneOf(null, 'Normal', 'Low', 'High'),
  rbacGroupId: 'n',
  rbacGroupName: 's',
  riskScore: oneOf(null, 'None', 'Informational', 'Low', 'Medium', 'High'),
  exposureLevel: oneOf(null, 'None', 'Low', 'Medium', 'High'),
  isAadJoined: 'b',
  aadDeviceId: matches(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, true),
  machineTags: 's[]',
  defenderAvStatus: 's?',
  onboardingStatus: oneOf('Onboarded', 'CanBeOnboarded', 'Unsupported', 'InsufficientInfo'),
  osArchitecture: oneOf(null, '32-bit', '64-bit'),
  managedBy: 's?',
  managedByStatus: 's?',
  ipAddresses: (v) =>
    Array.isArray(v) &&
    v.every((ip) =>
      shape(
        ip,
        { ipAddress: 's', macAddress: matches(/^[0-9A-F]{12}$/, true), type: 's', operationalStatus: 's' },
        'ipAddress',
      ),
    ),
  vmMetadata: (v) =>
    v === null ||
    shape(v, { vmId: 's', cloudProvider: 's', resourceId: 's', subscriptionId: 's' }, 'vmMetadata'),
  isPotentialDuplication: 'b',
  mergedIntoMachineId: (v) => v === null || MACHINE_ID(v),
  isExcluded: 'b',
  exclusionReason: 's?',
};

const VULN_ROW: Spec = {
  id: 's',
  deviceId: MACHINE_ID,
  rbacGroupName: 's',
  rbacGroupId: 'n',
  deviceName: 's?',
  osPlatform: 's',
  osVersion: 's',
  osArchitecture: oneOf('x64', 'x86', 'arm64'),
  softwareVendor: 's',
  softwareName: 's',
  softwareVersion: 's',
  cveId: 's?',
  cvssScore: 'n?',
  vulnerabilitySeverityLevel: oneOf(null, 'Low', 'Medium', 'High', 'Critical'),
  recommendedSecurityUpdate: 's?',
  recommendedSecurityUpdateId: 's?',
  recommendedSecurityUpdateUrl: 's?',
  diskPaths: 's[]',
  registryPaths: 's[]',
  lastSeenTimestamp: tvm,
  firstSeenTimestamp: tvm,
  exploitabilityLevel: oneOf('NoExploit', 'ExploitIsPublic', 'ExploitIsVerified', 'ExploitIsInKit'),
  recommendationReference: matches(/^va-_-.+-_-.+$/),
  securityUpdateAvailable: 'b',
};

const CHANGE_ROW: Spec = {
  ...VULN_ROW,
  eventTimestamp: matches(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{7}$/),
  status: oneOf('New', 'Fixed', 'Updated'),
  isOnboarded: 'b',
};

const INVENTORY_ROW: Spec = {
  deviceId: MACHINE_ID,
  deviceName: 's?',
  osPlatform: 's',
  osVersion: 's',
  osArchitecture: 's',
  rbacGroupName: 's',
  rbacGroupId: 'n',
  softwareVendor: 's',
  softwareName: 's',
  softwareVersion: 's',
  numberOfWeaknesses: 'n',
  diskPaths: 's[]',
  registryPaths: 's[]',
  softwareFirstSeenTimestamp: tvm,
  endOfSupportStatus: oneOf(
    'None',
    'EOS Version',
    'Upcoming EOS Version',
    'EOS Software',
    'Upcoming EOS Software',
  ),
  endOfSupportDate: matches(/^\d{4}-\d{2}-\d{2}T00:00:00\+00:00$/, true),
};

const NON_CPE_ROW: Spec = {
  deviceId: MACHINE_ID,
  deviceName: 's?',
  osPlatform: 's',
  rbacGroupName: 's',
  rbacGroupId: 'n',
  softwareVendor: 's',
  softwareName: 's',
  softwareVersion: 's',
  softwareLastSeenTimestamp: matches(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/),
};

const CVE: Spec = {
  id: matches(/^(CVE-\d{4}-\d{4,}|TVM-\d{4}-\d{4})$/),
  name: 's',
  description: 's',
  severity: oneOf('Low', 'Medium', 'High', 'Critical'),
  cvssV3: 'n?',
  cvssVector: matches(
    /^CVSS:3\.[01]\/AV:[NALP]\/AC:[LH]\/PR:[NLH]\/UI:[NR]\/S:[UC]\/C:[HLN]\/I:[HLN]\/A:[HLN](\/E:[UPFH]\/RL:[OTWU]\/RC:[URC])?$/,
    true,
  ),
  exposedMachines: 'n',
  publishedOn: iso(),
  updatedOn: iso(),
  firstDetected: iso(true),
  publicExploit: 'b',
  exploitVerified: 'b',
  exploitInKit: 'b',
  exploitTypes: 's[]',
  exploitUris: 's[]',
  cveSupportability: oneOf('Supported', 'Not Supported', 'SupportedInPremium'),
  tags: 's[]',
  epss: (v) => v === null || (typeof v === 'number' && v >= 0 && v <= 1),
};

const SOFTWARE: Spec = {
  id: matches(/^.+-_-.+$/),
  name: 's',
  vendor: 's',
  weaknesses: 'n',
  publicExploit: 'b',
  activeAlert: 'b',
  exposedMachines: 'n',
  impactScore: 'n',
};

const RECOMMENDATION: Spec = {
  id: matches(/^(va-_-.+-_-.+|sca-_-scid-\d+)$/),
  productName: 's',
  recommendationName: 's',
  weaknesses: 'n',
  vendor: 's',
  recommendedVersion: 's',
  recommendedProgram: 's?',
  recommendedVendor: 's?',
  recommendationCategory: oneOf('Accounts', 'Application', 'Network', 'OS', 'SecurityControls'),
  subCategory: 's',
  severityScore: 'n',
  publicExploit: 'b',
  activeAlert: 'b',
  associatedThreats: 's[]',
  remediationType: oneOf('ConfigurationChange', 'Update', 'Upgrade', 'Uninstall'),
  status: oneOf('Active', 'Exception'),
  configScoreImpact: 'n',
  exposureImpact: 'n',
  totalMachineCount: 'n',
  exposedMachinesCount: 'n',
  nonProductivityImpactedAssets: 'n',
  relatedComponent: 's',
  hasUnpatchableCve: 'b',
  tags: 's[]',
  exposedCriticalDevices: 'n',
};

const EVIDENCE: Spec = {
  entityType: oneOf('File', 'Process', 'User', 'Ip', 'Url', 'Registry'),
  evidenceCreationTime: iso(),
  detectionStatus: 's?',
  sha1: matches(/^[0-9a-f]{40}$/, true),
  sha256: matches(/^[0-9a-f]{64}$/, true),
  fileName: 's?',
  filePath: 's?',
  processId: 'n?',
  processCommandLine: 's?',
  processCreationTime: iso(true),
  parentProcessId: 'n?',
  parentProcessCreationTime: iso(true),
  parentProcessFileName: 's?',
  parentProcessFilePath: 's?',
  ipAddress: 's?',
  url: 's?',
  registryKey: 's?',
  registryHive: 's?',
  registryValueType: 's?',
  registryValue: 's?',
  accountName: 's?',
  domainName: 's?',
  userSid: 's?',
  aadUserId: 's?',
  userPrincipalName: 's?',
};

/** Which evidence fields each entity type fills (docs/mde-api.md#alerts); all others are null. */
const EVIDENCE_FIELDS: Record<string, string[]> = {
  File: ['sha1', 'sha256', 'fileName', 'filePath', 'detectionStatus'],
  Process: [
    'sha1',
    'sha256',
    'fileName',
    'filePath',
    'processId',
    'processCommandLine',
    'processCreationTime',
    'parentProcessId',
    'parentProcessCreationTime',
    'parentProcessFileName',
    'parentProcessFilePath',
    'detectionStatus',
  ],
  User: ['accountName', 'domainName', 'userSid', 'aadUserId', 'userPrincipalName'],
  Ip: ['ipAddress'],
  Url: ['url'],
  Registry: ['registryKey', 'registryHive', 'registryValueType', 'registryValue'],
};

function evidenceItem(item: unknown): boolean {
  shape(item, EVIDENCE, 'evidence');
  const record = item as Record<string, unknown>;
  const filled = EVIDENCE_FIELDS[record['entityType'] as string]!;
  for (const key of Object.keys(EVIDENCE)) {
    if (key === 'entityType' || key === 'evidenceCreationTime') continue;
    const isNull = record[key] === null;
    if (filled.includes(key) && isNull) fail(`${record['entityType']}.${key}`, 'a value', null);
    if (!filled.includes(key) && !isNull) fail(`${record['entityType']}.${key}`, 'null', record[key]);
  }
  return true;
}

const ALERT: Spec = {
  id: matches(/^da\d{18}_-?\d+$/),
  incidentId: 'n?',
  investigationId: 'n?',
  assignedTo: 's?',
  severity: oneOf('UnSpecified', 'Informational', 'Low', 'Medium', 'High'),
  status: oneOf('Unknown', 'New', 'InProgress', 'Resolved'),
  classification: oneOf(null, 'TruePositive', 'InformationalExpectedActivity', 'FalsePositive'),
  determination: 's?',
  investigationState: 's',
  detectionSource: 's',
  detectorId: 's',
  category: 's',
  threatFamilyName: 's?',
  threatName: 's?',
  title: 's',
  description: 's',
  alertCreationTime: iso(),
  firstEventTime: iso(),
  lastEventTime: iso(),
  lastUpdateTime: iso(),
  resolvedTime: iso(true),
  machineId: MACHINE_ID,
  computerDnsName: 's?',
  rbacGroupName: 's',
  aadTenantId: 's',
  mitreTechniques: 's[]',
  relatedUser: (v) => v === null || shape(v, { userName: 's', domainName: 's' }, 'relatedUser'),
  comments: (v) =>
    Array.isArray(v) &&
    v.every((c) => shape(c, { comment: 's', createdBy: 's', createdTime: iso() }, 'comment')),
  evidence: (v) => Array.isArray(v) && v.every(evidenceItem),
};

const LOGON_USER: Spec = {
  id: 's',
  accountName: 's',
  accountDomain: 's',
  firstSeen: iso(),
  lastSeen: iso(),
  logonTypes: 's',
  isDomainAdmin: 'b',
  isOnlyNetworkUser: 'b',
};

const MISSING_KB: Spec = {
  id: matches(/^\d+$/),
  name: 's',
  productsNames: 's[]',
  url: matches(/^https:\/\/catalog\.update\.microsoft\.com\/.+KB\d+$/),
  machineMissedOn: 'n',
  cveAddressed: 'n',
};

describe('record shapes', () => {
  const origin = Date.parse('2026-11-01T00:00:00Z');
  const tenant = createSimulatedTenant({
    devices: 400,
    seed: 21,
    originMs: origin,
    tenantId: 'a839b112-1253-6432-9bf6-94542403f21c',
  });
  const later = origin + 12 * SNAPSHOT_MS;
  const epoch = tenant.snapshotEpoch(later);

  it('rejects a record with a missing, extra or mistyped field', () => {
    const row = tenant.vulnerabilityRows(0, 0)[0] ?? tenant.vulnerabilityRows(1, 0)[0]!;
    expect(shape(row, VULN_ROW, 'row')).toBe(true);
    const { cveId: _dropped, ...missing } = row;
    expect(() => shape(missing, VULN_ROW, 'row')).toThrow(/keys/);
    expect(() => shape({ ...row, extra: 1 }, VULN_ROW, 'row')).toThrow(/keys/);
    expect(() => shape({ ...row, rbacGroupId: '140' }, VULN_ROW, 'row')).toThrow(/rbacGroupId/);
    expect(() => shape({ ...row, osArchitecture: '64-bit' }, VULN_ROW, 'row')).toThrow(/osArchitecture/);
  });

  it('machines', () => {
    let n = 0;
    for (const m of tenant.machines(later)) n += shape(m, MACHINE, `machine ${m.id}`) ? 1 : 0;
    expect(n).toBe(tenant.machineCount(later));
  });

  it('vulnerability, inventory and non-CPE rows', () => {
    let vulns = 0;
    let inventory = 0;
    let nonCpe = 0;
    for (let i = 0; i < tenant.machineCount(later); i++) {
      for (const row of tenant.vulnerabilityRows(i, epoch))
        vulns += shape(row, VULN_ROW, 'vulnerability row') ? 1 : 0;
      for (const row of tenant.inventoryRows(i, epoch))
        inventory += shape(row, INVENTORY_ROW, 'inventory row') ? 1 : 0;
      for (const row of tenant.nonCpeInventoryRows(i, epoch))
        nonCpe += shape(row, NON_CPE_ROW, 'non-CPE row') ? 1 : 0;
    }
    expect(vulns).toBeGreaterThan(5000);
    expect(inventory).toBeGreaterThan(2000);
    expect(nonCpe).toBeGreaterThan(50);
  });

  it('change rows', () => {
    let n = 0;
    for (let e = 1; e <= epoch; e++)
      for (const row of tenant.changeRows(e)) n += shape(row, CHANGE_ROW, 'change row') ? 1 : 0;
    expect(n).toBeGreaterThan(0);
  });

  it('catalogs: CVEs, software, distributions, recommendations', () => {
    const cves = tenant.cves(epoch);
    expect(cves.length).toBeGreaterThan(300);
    for (const cve of cves) shape(cve, CVE, `cve ${cve.id}`);
    const software = tenant.software(epoch);
    expect(software.length).toBeGreaterThan(50);
    for (const sw of software) {
      shape(sw, SOFTWARE, `software ${sw.id}`);
      const distributions = tenant.softwareDistributions(sw.id, epoch);
      expect(distributions?.length).toBeGreaterThan(0);
      for (const d of distributions ?? [])
        shape(d, { version: 's', installations: 'n', vulnerabilities: 'n' }, 'distribution');
    }
    expect(tenant.softwareDistributions('nobody-_-nothing', epoch)).toBeUndefined();
    const recommendations = tenant.recommendations(epoch);
    expect(recommendations.length).toBeGreaterThan(20);
    for (const rec of recommendations) shape(rec, RECOMMENDATION, `recommendation ${rec.id}`);
  });

  it('alerts with evidence, logon users and missing KBs', () => {
    const alerts = [...tenant.alerts(later)];
    expect(alerts.length).toBeGreaterThan(50);
    for (const alert of alerts) shape(alert, ALERT, `alert ${alert.id}`);
    const types = new Set(alerts.flatMap((a) => a.evidence.map((e) => e.entityType)));
    expect([...types].sort()).toEqual(['File', 'Ip', 'Process', 'Registry', 'Url', 'User']);
    let users = 0;
    let kbs = 0;
    for (let i = 0; i < 100; i++) {
      for (const user of tenant.logonUsers(i, later)) users += shape(user, LOGON_USER, 'logon user') ? 1 : 0;
      for (const kb of tenant.missingKbs(i, epoch)) kbs += shape(kb, MISSING_KB, 'missing KB') ? 1 : 0;
    }
    expect(users).toBeGreaterThan(50);
    expect(kbs).toBeGreaterThan(10);
  });

  it('ground truth', () => {
    const truth = tenant.groundTruth(epoch, later);
    for (const [key, value] of Object.entries(truth)) {
      if (key === 'generatedTime') expect(value).toMatch(ISO);
      else expect(value, key).toBeTypeOf('number');
    }
  });
});
