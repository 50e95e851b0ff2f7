import { describe, expect, it } from 'vitest';
import { createSimulatedTenant } from './create-simulated-tenant.js';
import { SNAPSHOT_MS } from './simulated-tenant.js';

/**
 * Every field of every record type (types.ts) is present with the right JS type, and nothing else is.
 * Kinds: 's' string, 'n' number, 'b' boolean, '?' suffix nullable, '[]' suffix array of the kind.
 */
type Kind = string;
type Spec = Record<string, Kind | ((value: unknown) => void)>;

function check(kind: Kind, value: unknown, path: string): void {
  if (kind.endsWith('?')) {
    if (value === null) return;
    check(kind.slice(0, -1), value, path);
    return;
  }
  if (kind.endsWith('[]')) {
    expect(Array.isArray(value), `${path} is an array`).toBe(true);
    for (const [i, item] of (value as unknown[]).entries()) check(kind.slice(0, -2), item, `${path}[${i}]`);
    return;
  }
  const js = { s: 'string', n: 'number', b: 'boolean' }[kind];
  expect(typeof value, `${path} is ${js}`).toBe(js);
  if (js === 'number') expect(Number.isFinite(value), `${path} is finite`).toBe(true);
}

function expectShape(record: unknown, spec: Spec, name: string): void {
  expect(record, name).toBeTypeOf('object');
  const obj = record as Record<string, unknown>;
  expect(Object.keys(obj).sort(), `${name} keys`).toEqual(Object.keys(spec).sort());
  for (const [key, kind] of Object.entries(spec)) {
    if (typeof kind === 'function') kind(obj[key]);
    else check(kind, obj[key], `${name}.${key}`);
  }
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z$/;
const TVM = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const iso =
  (nullable = false) =>
  (v: unknown) => {
    if (nullable && v === null) return;
    expect(v).toMatch(ISO);
    expect(Number.isNaN(Date.parse(v as string))).toBe(false);
  };
const tvm = (v: unknown) => expect(v).toMatch(TVM);

const MACHINE: Spec = {
  id: (v) => expect(v).toMatch(/^[0-9a-f]{40}$/),
  computerDnsName: 's?',
  firstSeen: iso(),
  lastSeen: iso(),
  osPlatform: 's',
  osVersion: 's?',
  osProcessor: 's',
  version: 's?',
  lastIpAddress: 's?',
  lastExternalIpAddress: 's?',
  agentVersion: 's?',
  osBuild: 'n?',
  healthStatus: (v) =>
    expect([
      'Active',
      'Inactive',
      'ImpairedCommunication',
      'NoSensorData',
      'NoSensorDataImpairedCommunication',
      'Unknown',
    ]).toContain(v),
  deviceValue: (v) => expect([null, 'Normal', 'Low', 'High']).toContain(v),
  rbacGroupId: 'n',
  rbacGroupName: 's',
  riskScore: (v) => expect([null, 'None', 'Informational', 'Low', 'Medium', 'High']).toContain(v),
  exposureLevel: (v) => expect([null, 'None', 'Low', 'Medium', 'High']).toContain(v),
  isAadJoined: 'b',
  aadDeviceId: 's?',
  machineTags: 's[]',
  defenderAvStatus: 's?',
  onboardingStatus: (v) =>
    expect(['Onboarded', 'CanBeOnboarded', 'Unsupported', 'InsufficientInfo']).toContain(v),
  osArchitecture: (v) => expect([null, '32-bit', '64-bit']).toContain(v),
  managedBy: 's?',
  managedByStatus: 's?',
  ipAddresses: (v) => {
    expect(Array.isArray(v)).toBe(true);
    for (const ip of v as unknown[])
      expectShape(ip, { ipAddress: 's', macAddress: 's?', type: 's', operationalStatus: 's' }, 'ipAddress');
  },
  vmMetadata: (v) => {
    if (v !== null)
      expectShape(v, { vmId: 's', cloudProvider: 's', resourceId: 's', subscriptionId: 's' }, 'vmMetadata');
  },
  isPotentialDuplication: 'b',
  mergedIntoMachineId: 's?',
  isExcluded: 'b',
  exclusionReason: 's?',
};

const VULN_ROW: Spec = {
  id: 's',
  deviceId: 's',
  rbacGroupName: 's',
  rbacGroupId: 'n',
  deviceName: 's?',
  osPlatform: 's',
  osVersion: 's',
  osArchitecture: (v) => expect(['x64', 'x86', 'arm64']).toContain(v),
  softwareVendor: 's',
  softwareName: 's',
  softwareVersion: 's',
  cveId: 's?',
  cvssScore: 'n?',
  vulnerabilitySeverityLevel: (v) => expect([null, 'Low', 'Medium', 'High', 'Critical']).toContain(v),
  recommendedSecurityUpdate: 's?',
  recommendedSecurityUpdateId: 's?',
  recommendedSecurityUpdateUrl: 's?',
  diskPaths: 's[]',
  registryPaths: 's[]',
  lastSeenTimestamp: tvm,
  firstSeenTimestamp: tvm,
  exploitabilityLevel: (v) =>
    expect(['NoExploit', 'ExploitIsPublic', 'ExploitIsVerified', 'ExploitIsInKit']).toContain(v),
  recommendationReference: (v) => expect(v).toMatch(/^va-_-.+-_-.+$/),
  securityUpdateAvailable: 'b',
};

const CHANGE_ROW: Spec = {
  ...VULN_ROW,
  eventTimestamp: (v) => expect(v).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{7}$/),
  status: (v) => expect(['New', 'Fixed', 'Updated']).toContain(v),
  isOnboarded: 'b',
};

const INVENTORY_ROW: Spec = {
  deviceId: 's',
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
  endOfSupportStatus: (v) =>
    expect([
      'None',
      'EOS Version',
      'Upcoming EOS Version',
      'EOS Software',
      'Upcoming EOS Software',
    ]).toContain(v),
  endOfSupportDate: (v) => {
    if (v !== null) expect(v).toMatch(/^\d{4}-\d{2}-\d{2}T00:00:00\+00:00$/);
  },
};

const NON_CPE_ROW: Spec = {
  deviceId: 's',
  deviceName: 's?',
  osPlatform: 's',
  rbacGroupName: 's',
  rbacGroupId: 'n',
  softwareVendor: 's',
  softwareName: 's',
  softwareVersion: 's',
  softwareLastSeenTimestamp: (v) => expect(v).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}$/),
};

const CVE: Spec = {
  id: (v) => expect(v).toMatch(/^(CVE-\d{4}-\d{4,}|TVM-\d{4}-\d{4})$/),
  name: 's',
  description: 's',
  severity: (v) => expect(['Low', 'Medium', 'High', 'Critical']).toContain(v),
  cvssV3: 'n?',
  cvssVector: 's?',
  exposedMachines: 'n',
  publishedOn: iso(),
  updatedOn: iso(),
  firstDetected: iso(true),
  publicExploit: 'b',
  exploitVerified: 'b',
  exploitInKit: 'b',
  exploitTypes: 's[]',
  exploitUris: 's[]',
  cveSupportability: 's',
  tags: 's[]',
  epss: (v) => {
    if (v !== null) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
  },
};

const SOFTWARE: Spec = {
  id: (v) => expect(v).toMatch(/^.+-_-.+$/),
  name: 's',
  vendor: 's',
  weaknesses: 'n',
  publicExploit: 'b',
  activeAlert: 'b',
  exposedMachines: 'n',
  impactScore: 'n',
};

const RECOMMENDATION: Spec = {
  id: (v) => expect(v).toMatch(/^(va-_-.+-_-.+|sca-_-scid-\d+)$/),
  productName: 's',
  recommendationName: 's',
  weaknesses: 'n',
  vendor: 's',
  recommendedVersion: 's',
  recommendedProgram: 's?',
  recommendedVendor: 's?',
  recommendationCategory: (v) =>
    expect(['Accounts', 'Application', 'Network', 'OS', 'SecurityControls']).toContain(v),
  subCategory: 's',
  severityScore: 'n',
  publicExploit: 'b',
  activeAlert: 'b',
  associatedThreats: 's[]',
  remediationType: (v) => expect(['ConfigurationChange', 'Update', 'Upgrade', 'Uninstall']).toContain(v),
  status: (v) => expect(['Active', 'Exception']).toContain(v),
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
  entityType: (v) => expect(['File', 'Process', 'User', 'Ip', 'Url', 'Registry']).toContain(v),
  evidenceCreationTime: iso(),
  detectionStatus: 's?',
  sha1: 's?',
  sha256: 's?',
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

/** Which evidence fields each entity type fills (mde-api.md 7); all others are null. */
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

const ALERT: Spec = {
  id: (v) => expect(v).toMatch(/^da\d{18}_-?\d+$/),
  incidentId: 'n?',
  investigationId: 'n?',
  assignedTo: 's?',
  severity: (v) => expect(['UnSpecified', 'Informational', 'Low', 'Medium', 'High']).toContain(v),
  status: (v) => expect(['Unknown', 'New', 'InProgress', 'Resolved']).toContain(v),
  classification: (v) =>
    expect([null, 'TruePositive', 'InformationalExpectedActivity', 'FalsePositive']).toContain(v),
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
  machineId: (v) => expect(v).toMatch(/^[0-9a-f]{40}$/),
  computerDnsName: 's?',
  rbacGroupName: 's',
  aadTenantId: 's',
  mitreTechniques: 's[]',
  relatedUser: (v) => {
    if (v !== null) expectShape(v, { userName: 's', domainName: 's' }, 'relatedUser');
  },
  comments: (v) => {
    expect(Array.isArray(v)).toBe(true);
    for (const c of v as unknown[])
      expectShape(c, { comment: 's', createdBy: 's', createdTime: iso() }, 'comment');
  },
  evidence: (v) => {
    expect(Array.isArray(v)).toBe(true);
    for (const item of v as Array<Record<string, unknown>>) {
      expectShape(item, EVIDENCE, 'evidence');
      const filled = EVIDENCE_FIELDS[item['entityType'] as string]!;
      for (const key of Object.keys(EVIDENCE)) {
        if (key === 'entityType' || key === 'evidenceCreationTime') continue;
        if (filled.includes(key)) {
          if (key !== 'detectionStatus') expect(item[key], `${item['entityType']}.${key}`).not.toBeNull();
        } else expect(item[key], `${item['entityType']}.${key}`).toBeNull();
      }
    }
  },
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
  id: (v) => expect(v).toMatch(/^\d+$/),
  name: 's',
  productsNames: 's[]',
  url: (v) => expect(v).toMatch(/^https:\/\/catalog\.update\.microsoft\.com\/.+KB\d+$/),
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

  it('machines', () => {
    for (const m of tenant.machines(later)) expectShape(m, MACHINE, `machine ${m.id}`);
  });

  it('vulnerability, inventory and non-CPE rows', () => {
    let vulns = 0;
    let inventory = 0;
    let nonCpe = 0;
    for (let i = 0; i < tenant.machineCount(later); i++) {
      for (const row of tenant.vulnerabilityRows(i, epoch)) {
        expectShape(row, VULN_ROW, 'vulnerability row');
        vulns++;
      }
      for (const row of tenant.inventoryRows(i, epoch)) {
        expectShape(row, INVENTORY_ROW, 'inventory row');
        inventory++;
      }
      for (const row of tenant.nonCpeInventoryRows(i, epoch)) {
        expectShape(row, NON_CPE_ROW, 'non-CPE row');
        nonCpe++;
      }
    }
    expect(vulns).toBeGreaterThan(1000);
    expect(inventory).toBeGreaterThan(500);
    expect(nonCpe).toBeGreaterThan(10);
  });

  it('change rows', () => {
    let n = 0;
    for (let e = 1; e <= epoch; e++) {
      for (const row of tenant.changeRows(e)) {
        expectShape(row, CHANGE_ROW, 'change row');
        n++;
      }
    }
    expect(n).toBeGreaterThan(0);
  });

  it('catalogs: CVEs, software, distributions, recommendations', () => {
    const cves = tenant.cves(epoch);
    expect(cves.length).toBeGreaterThan(100);
    for (const cve of cves) expectShape(cve, CVE, `cve ${cve.id}`);
    const software = tenant.software(epoch);
    expect(software.length).toBeGreaterThan(50);
    for (const sw of software) {
      expectShape(sw, SOFTWARE, `software ${sw.id}`);
      const distributions = tenant.softwareDistributions(sw.id, epoch);
      expect(distributions?.length).toBeGreaterThan(0);
      for (const d of distributions ?? [])
        expectShape(d, { version: 's', installations: 'n', vulnerabilities: 'n' }, 'distribution');
    }
    expect(tenant.softwareDistributions('nobody-_-nothing', epoch)).toBeUndefined();
    const recommendations = tenant.recommendations(epoch);
    expect(recommendations.length).toBeGreaterThan(20);
    for (const rec of recommendations) expectShape(rec, RECOMMENDATION, `recommendation ${rec.id}`);
  });

  it('alerts with evidence, logon users and missing KBs', () => {
    const alerts = [...tenant.alerts(later)];
    expect(alerts.length).toBeGreaterThan(30);
    for (const alert of alerts) expectShape(alert, ALERT, `alert ${alert.id}`);
    const types = new Set(alerts.flatMap((a) => a.evidence.map((e) => e.entityType)));
    expect([...types].sort()).toEqual(['File', 'Ip', 'Process', 'Registry', 'Url', 'User']);
    let users = 0;
    let kbs = 0;
    for (let i = 0; i < 100; i++) {
      for (const user of tenant.logonUsers(i, later)) {
        expectShape(user, LOGON_USER, 'logon user');
        users++;
      }
      for (const kb of tenant.missingKbs(i, epoch)) {
        expectShape(kb, MISSING_KB, 'missing KB');
        kbs++;
      }
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
