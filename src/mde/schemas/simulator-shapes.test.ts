/**
 * The simulator's record shapes (src/simulator/tenant/types.ts) are valid input to these schemas, at
 * compile time (assignability of every field) and at run time, so the simulator's tests and the
 * connector can share one definition of what MDE sends.
 */
import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import type {
  AlertRecord,
  CveRecord,
  InventoryRow as InventoryRowRecord,
  LogonUserRecord,
  MachineRecord,
  MachineRefRecord,
  MachineVulnerabilityRecord,
  MissingKbRecord,
  NonCpeInventoryRow as NonCpeInventoryRowRecord,
  RecommendationRecord,
  SoftwareDistributionRecord,
  SoftwareRecord,
  VulnerabilityChangeRow as VulnerabilityChangeRowRecord,
  VulnerabilityRow as VulnerabilityRowRecord,
} from '../../simulator/tenant/types.js';
import { parseRecord } from '../parse/parse-record.js';
import { AlertSchema } from './alert.js';
import { CveSchema } from './cve.js';
import { InventoryRowSchema } from './inventory-row.js';
import { LogonUserSchema } from './logon-user.js';
import { MachineSchema } from './machine.js';
import { MachineRefSchema } from './machine-ref.js';
import { MachineVulnerabilitySchema } from './machine-vulnerability.js';
import { MissingKbSchema } from './missing-kb.js';
import { NonCpeInventoryRowSchema } from './non-cpe-inventory-row.js';
import { RecommendationSchema } from './recommendation.js';
import { SoftwareSchema } from './software.js';
import { SoftwareDistributionSchema } from './software-distribution.js';
import { VulnerabilityChangeRowSchema } from './vulnerability-change-row.js';
import { VulnerabilityRowSchema } from './vulnerability-row.js';

/** The declared fields of a loose-object input type, without its `[key: string]: unknown` catch-all. */
type Known<T> = T extends readonly (infer U)[]
  ? Known<U>[]
  : T extends object
    ? { [K in keyof T as string extends K ? never : K]: Known<T[K]> }
    : T;

/** Compiles only if every field of the simulator record is assignable to the schema's input. */
function wire<S extends z.ZodType>(_schema: S, record: Known<z.input<S>>): unknown {
  return record;
}

const machine: MachineRecord = {
  id: 'a'.repeat(40),
  computerDnsName: 'host1.contoso.com',
  firstSeen: '2024-01-01T00:00:00.0000000Z',
  lastSeen: '2024-02-01T10:11:12.1234567Z',
  osPlatform: 'Windows11',
  osVersion: '10.0.22631.3296',
  osProcessor: 'x64',
  version: '23H2',
  lastIpAddress: '10.0.0.5',
  lastExternalIpAddress: null,
  agentVersion: '10.8470.22621.1031',
  osBuild: 22631,
  healthStatus: 'Active',
  deviceValue: 'Normal',
  rbacGroupId: 7,
  rbacGroupName: 'Servers',
  riskScore: 'Low',
  exposureLevel: null,
  isAadJoined: true,
  aadDeviceId: null,
  machineTags: [],
  defenderAvStatus: 'Updated',
  onboardingStatus: 'Onboarded',
  osArchitecture: '64-bit',
  managedBy: 'Intune',
  managedByStatus: 'Unknown',
  ipAddresses: [{ ipAddress: '10.0.0.5', macAddress: null, type: 'Ethernet', operationalStatus: 'Up' }],
  vmMetadata: { vmId: 'vm', cloudProvider: 'Azure', resourceId: 'r', subscriptionId: 's' },
  isPotentialDuplication: false,
  mergedIntoMachineId: null,
  isExcluded: false,
  exclusionReason: null,
};

const vulnerabilityRow: VulnerabilityRowRecord = {
  id: `${'a'.repeat(40)}_chrome_120.0.1_CVE-2024-0001_`,
  deviceId: 'a'.repeat(40),
  rbacGroupName: 'Servers',
  rbacGroupId: 7,
  deviceName: 'host1.contoso.com',
  osPlatform: 'Windows11',
  osVersion: '10.0.22631.3296',
  osArchitecture: 'x64',
  softwareVendor: 'google',
  softwareName: 'chrome',
  softwareVersion: '120.0.1',
  cveId: 'CVE-2024-0001',
  cvssScore: 8.8,
  vulnerabilitySeverityLevel: 'High',
  recommendedSecurityUpdate: null,
  recommendedSecurityUpdateId: null,
  recommendedSecurityUpdateUrl: null,
  diskPaths: ['C:\\chrome.exe'],
  registryPaths: [],
  lastSeenTimestamp: '2024-02-01 10:11:12',
  firstSeenTimestamp: '2024-01-01 00:00:00',
  exploitabilityLevel: 'NoExploit',
  recommendationReference: 'va-_-google-_-chrome',
  securityUpdateAvailable: true,
};

const changeRow: VulnerabilityChangeRowRecord = {
  ...vulnerabilityRow,
  eventTimestamp: '2024-02-01 12:00:00.1234567',
  status: 'New',
  isOnboarded: true,
};

const inventoryRow: InventoryRowRecord = {
  deviceId: 'a'.repeat(40),
  deviceName: null,
  osPlatform: 'Windows11',
  osVersion: '10.0.22631.3296',
  osArchitecture: 'x64',
  rbacGroupName: 'Servers',
  rbacGroupId: 7,
  softwareVendor: 'google',
  softwareName: 'chrome',
  softwareVersion: '120.0.1',
  numberOfWeaknesses: 3,
  diskPaths: [],
  registryPaths: [],
  softwareFirstSeenTimestamp: '2024-01-01 00:00:00',
  endOfSupportStatus: 'None',
  endOfSupportDate: null,
};

const nonCpeRow: NonCpeInventoryRowRecord = {
  deviceId: 'a'.repeat(40),
  deviceName: 'host1',
  osPlatform: 'Windows11',
  rbacGroupName: 'Servers',
  rbacGroupId: 7,
  softwareVendor: 'Lob Apps',
  softwareName: 'Headtrax',
  softwareVersion: '60.273.3',
  softwareLastSeenTimestamp: '2024-02-01 10:11:12.271',
};

const cve: CveRecord = {
  id: 'CVE-2024-0001',
  name: 'CVE-2024-0001',
  description: 'd',
  severity: 'High',
  cvssV3: 8.8,
  cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H',
  exposedMachines: 1,
  publishedOn: '2024-01-01T00:00:00Z',
  updatedOn: '2024-01-02T00:00:00Z',
  firstDetected: null,
  publicExploit: false,
  exploitVerified: false,
  exploitInKit: false,
  exploitTypes: [],
  exploitUris: [],
  cveSupportability: 'Supported',
  tags: [],
  epss: null,
};

const software: SoftwareRecord = {
  id: 'google-_-chrome',
  name: 'chrome',
  vendor: 'google',
  weaknesses: 3,
  publicExploit: false,
  activeAlert: false,
  exposedMachines: 1,
  impactScore: 1.5,
};

const distribution: SoftwareDistributionRecord = { version: '120.0.1', installations: 1, vulnerabilities: 3 };

const machineRef: MachineRefRecord = {
  id: 'a'.repeat(40),
  computerDnsName: null,
  osPlatform: 'Windows11',
  rbacGroupName: 'Servers',
};

const recommendation: RecommendationRecord = {
  id: 'va-_-google-_-chrome',
  productName: 'chrome',
  recommendationName: 'Update Chrome',
  weaknesses: 3,
  vendor: 'google',
  recommendedVersion: '',
  recommendedProgram: null,
  recommendedVendor: null,
  recommendationCategory: 'Application',
  subCategory: '',
  severityScore: 5,
  publicExploit: false,
  activeAlert: false,
  associatedThreats: [],
  remediationType: 'Update',
  status: 'Active',
  configScoreImpact: 0,
  exposureImpact: 1.2,
  totalMachineCount: 2,
  exposedMachinesCount: 1,
  nonProductivityImpactedAssets: 0,
  relatedComponent: 'Chrome',
  hasUnpatchableCve: false,
  tags: [],
  exposedCriticalDevices: 0,
};

const machineVulnerability: MachineVulnerabilityRecord = {
  id: `${'a'.repeat(40)}-_-CVE-2024-0001-_-google-_-chrome-_-120.0.1-_-`,
  cveId: 'CVE-2024-0001',
  machineId: 'a'.repeat(40),
  fixingKbId: null,
  productName: 'chrome',
  productVendor: 'google',
  productVersion: '120.0.1',
  severity: 'High',
};

const alert: AlertRecord = {
  id: 'da638000000000000000_1',
  incidentId: 1,
  investigationId: null,
  assignedTo: null,
  severity: 'Medium',
  status: 'New',
  classification: null,
  determination: null,
  investigationState: 'Queued',
  detectionSource: 'WindowsDefenderAtp',
  detectorId: 'det',
  category: 'Execution',
  threatFamilyName: null,
  threatName: null,
  title: 't',
  description: 'd',
  alertCreationTime: '2024-02-01T10:00:00.1234567Z',
  firstEventTime: '2024-02-01T09:59:00Z',
  lastEventTime: '2024-02-01T09:59:30Z',
  lastUpdateTime: '2024-02-01T10:00:01.5Z',
  resolvedTime: null,
  machineId: 'a'.repeat(40),
  computerDnsName: null,
  rbacGroupName: 'Servers',
  aadTenantId: 'tenant',
  mitreTechniques: ['T1059'],
  relatedUser: null,
  comments: [{ comment: 'c', createdBy: 'me', createdTime: '2024-02-01T11:00:00Z' }],
  evidence: [
    {
      entityType: 'Process',
      evidenceCreationTime: '2024-02-01T10:00:00Z',
      detectionStatus: 'Detected',
      sha1: null,
      sha256: null,
      fileName: 'a.exe',
      filePath: 'C:\\',
      processId: 42,
      processCommandLine: 'a.exe',
      processCreationTime: '2024-02-01T09:59:00Z',
      parentProcessId: null,
      parentProcessCreationTime: null,
      parentProcessFileName: null,
      parentProcessFilePath: null,
      ipAddress: null,
      url: null,
      registryKey: null,
      registryHive: null,
      registryValueType: null,
      registryValue: null,
      accountName: null,
      domainName: null,
      userSid: null,
      aadUserId: null,
      userPrincipalName: null,
    },
  ],
};

const logonUser: LogonUserRecord = {
  id: 'contoso\\user1',
  accountName: 'user1',
  accountDomain: 'contoso',
  firstSeen: '2024-01-01T00:00:00Z',
  lastSeen: '2024-02-01T00:00:00Z',
  logonTypes: 'Interactive',
  isDomainAdmin: false,
  isOnlyNetworkUser: false,
};

const missingKb: MissingKbRecord = {
  id: '4540673',
  name: 'March 2020 Security Updates',
  productsNames: ['windows_10'],
  url: 'https://catalog.update.microsoft.com/v7/site/Search.aspx?q=KB4540673',
  machineMissedOn: 1,
  cveAddressed: 97,
};

const cases: Array<[string, z.ZodType, unknown]> = [
  ['MachineRecord', MachineSchema, wire(MachineSchema, machine)],
  ['VulnerabilityRow', VulnerabilityRowSchema, wire(VulnerabilityRowSchema, vulnerabilityRow)],
  ['VulnerabilityChangeRow', VulnerabilityChangeRowSchema, wire(VulnerabilityChangeRowSchema, changeRow)],
  ['InventoryRow', InventoryRowSchema, wire(InventoryRowSchema, inventoryRow)],
  ['NonCpeInventoryRow', NonCpeInventoryRowSchema, wire(NonCpeInventoryRowSchema, nonCpeRow)],
  ['CveRecord', CveSchema, wire(CveSchema, cve)],
  ['SoftwareRecord', SoftwareSchema, wire(SoftwareSchema, software)],
  ['SoftwareDistributionRecord', SoftwareDistributionSchema, wire(SoftwareDistributionSchema, distribution)],
  ['MachineRefRecord', MachineRefSchema, wire(MachineRefSchema, machineRef)],
  ['RecommendationRecord', RecommendationSchema, wire(RecommendationSchema, recommendation)],
  [
    'MachineVulnerabilityRecord',
    MachineVulnerabilitySchema,
    wire(MachineVulnerabilitySchema, machineVulnerability),
  ],
  ['AlertRecord', AlertSchema, wire(AlertSchema, alert)],
  ['LogonUserRecord', LogonUserSchema, wire(LogonUserSchema, logonUser)],
  ['MissingKbRecord', MissingKbSchema, wire(MissingKbSchema, missingKb)],
];

describe('simulator record shapes', () => {
  it.each(cases)('%s parses, keeping every field', (_name, schema, record) => {
    const result = parseRecord(schema, record);
    expect(result).toMatchObject({ ok: true });
    if (result.ok)
      expect(Object.keys(result.value as object).sort()).toEqual(Object.keys(record as object).sort());
  });

  it('normalises the simulator timestamps to ISO UTC', () => {
    expect(parseRecord(VulnerabilityChangeRowSchema, changeRow)).toMatchObject({
      ok: true,
      value: {
        lastSeenTimestamp: '2024-02-01T10:11:12.000Z',
        eventTimestamp: '2024-02-01T12:00:00.123Z',
        status: 'New',
        rbacGroupId: 7,
      },
    });
    expect(parseRecord(MachineSchema, machine)).toMatchObject({
      ok: true,
      value: { lastSeen: '2024-02-01T10:11:12.123Z', firstSeen: '2024-01-01T00:00:00.000Z' },
    });
  });
});
