/**
 * Wire shapes of the records a simulated tenant produces. They mirror what MDE returns
 * (camelCase JSON, see docs/mde-api.md), so the HTTP layer can
 * serialise them as they are. Export *files* use PascalCase keys; that renaming happens in the
 * export writer, not here.
 */

/** docs/mde-api.md#machine-fields: the machine entity, including the undocumented fields seen on the wire. */
export interface MachineRecord {
  id: string;
  computerDnsName: string | null;
  firstSeen: string;
  lastSeen: string;
  osPlatform: string;
  osVersion: string | null;
  osProcessor: string;
  version: string | null;
  lastIpAddress: string | null;
  lastExternalIpAddress: string | null;
  agentVersion: string | null;
  osBuild: number | null;
  healthStatus: string;
  deviceValue: string | null;
  rbacGroupId: number;
  rbacGroupName: string;
  riskScore: string | null;
  exposureLevel: string | null;
  isAadJoined: boolean;
  aadDeviceId: string | null;
  machineTags: string[];
  defenderAvStatus: string | null;
  onboardingStatus: string;
  osArchitecture: string | null;
  managedBy: string | null;
  managedByStatus: string | null;
  ipAddresses: Array<{
    ipAddress: string;
    macAddress: string | null;
    type: string;
    operationalStatus: string;
  }>;
  vmMetadata: null | { vmId: string; cloudProvider: string; resourceId: string; subscriptionId: string };
  isPotentialDuplication: boolean;
  mergedIntoMachineId: string | null;
  isExcluded: boolean;
  exclusionReason: string | null;
}

/**
 * docs/mde-api.md#vulnerability-rows: one row of SoftwareVulnerabilitiesByMachine / the VA export
 * (camelCase).
 */
export interface VulnerabilityRow {
  id: string;
  deviceId: string;
  rbacGroupName: string;
  rbacGroupId: number;
  deviceName: string | null;
  osPlatform: string;
  osVersion: string;
  osArchitecture: string;
  softwareVendor: string;
  softwareName: string;
  softwareVersion: string;
  cveId: string | null;
  cvssScore: number | null;
  vulnerabilitySeverityLevel: string | null;
  recommendedSecurityUpdate: string | null;
  recommendedSecurityUpdateId: string | null;
  recommendedSecurityUpdateUrl: string | null;
  diskPaths: string[];
  registryPaths: string[];
  /** "YYYY-MM-DD HH:MM:SS" without zone (docs/mde-api.md#timestamps). */
  lastSeenTimestamp: string;
  firstSeenTimestamp: string;
  exploitabilityLevel: string;
  recommendationReference: string;
  securityUpdateAvailable: boolean;
}

/** docs/mde-api.md#delta-feed: a delta row = a full row plus eventTimestamp and status. */
export interface VulnerabilityChangeRow extends VulnerabilityRow {
  eventTimestamp: string;
  status: 'New' | 'Fixed' | 'Updated';
  isOnboarded: boolean;
}

/** docs/mde-api.md#installed-software: one SoftwareInventoryByMachine row. */
export interface InventoryRow {
  deviceId: string;
  deviceName: string | null;
  osPlatform: string;
  osVersion: string;
  osArchitecture: string;
  rbacGroupName: string;
  rbacGroupId: number;
  softwareVendor: string;
  softwareName: string;
  softwareVersion: string;
  numberOfWeaknesses: number;
  diskPaths: string[];
  registryPaths: string[];
  softwareFirstSeenTimestamp: string;
  endOfSupportStatus: string;
  endOfSupportDate: string | null;
}

/** docs/mde-api.md#installed-software: one SoftwareInventoryNoProductCodeByMachine (non-CPE) row. */
export interface NonCpeInventoryRow {
  deviceId: string;
  deviceName: string | null;
  osPlatform: string;
  rbacGroupName: string;
  rbacGroupId: number;
  softwareVendor: string;
  softwareName: string;
  softwareVersion: string;
  softwareLastSeenTimestamp: string;
}

/** docs/mde-api.md#cve-catalog: CVE catalog entry (also the per-machine / per-software vulnerability DTO). */
export interface CveRecord {
  id: string;
  name: string;
  description: string;
  severity: 'Low' | 'Medium' | 'High' | 'Critical';
  cvssV3: number | null;
  cvssVector: string | null;
  exposedMachines: number;
  publishedOn: string;
  updatedOn: string;
  firstDetected: string | null;
  publicExploit: boolean;
  exploitVerified: boolean;
  exploitInKit: boolean;
  exploitTypes: string[];
  exploitUris: string[];
  cveSupportability: string;
  tags: string[];
  epss: number | null;
}

/** docs/mde-api.md#software: software entity. */
export interface SoftwareRecord {
  id: string;
  name: string;
  vendor: string;
  weaknesses: number;
  publicExploit: boolean;
  activeAlert: boolean;
  exposedMachines: number;
  impactScore: number;
}

/** docs/mde-api.md#software: GET /api/Software/{id}/distributions item. */
export interface SoftwareDistributionRecord {
  version: string;
  installations: number;
  vulnerabilities: number;
}

/** docs/mde-api.md#cve-catalog, #software, #recommendations: MachineRef item. */
export interface MachineRefRecord {
  id: string;
  computerDnsName: string | null;
  osPlatform: string;
  rbacGroupName: string;
}

/** docs/mde-api.md#recommendations: security recommendation. */
export interface RecommendationRecord {
  id: string;
  productName: string;
  recommendationName: string;
  weaknesses: number;
  vendor: string;
  recommendedVersion: string;
  recommendedProgram: string | null;
  recommendedVendor: string | null;
  recommendationCategory: string;
  subCategory: string;
  severityScore: number;
  publicExploit: boolean;
  activeAlert: boolean;
  associatedThreats: string[];
  remediationType: string;
  status: 'Active' | 'Exception';
  configScoreImpact: number;
  exposureImpact: number;
  totalMachineCount: number;
  exposedMachinesCount: number;
  nonProductivityImpactedAssets: number;
  relatedComponent: string;
  hasUnpatchableCve: boolean;
  tags: string[];
  exposedCriticalDevices: number;
}

/** docs/mde-api.md#cve-catalog: GET /api/vulnerabilities/machinesVulnerabilities item. */
export interface MachineVulnerabilityRecord {
  id: string;
  cveId: string;
  machineId: string;
  fixingKbId: string | null;
  productName: string;
  productVendor: string;
  productVersion: string;
  severity: string;
}

/** docs/mde-api.md#alerts: alert evidence item (only with $expand=evidence). */
export interface AlertEvidenceRecord {
  entityType: string;
  evidenceCreationTime: string;
  detectionStatus: string | null;
  sha1: string | null;
  sha256: string | null;
  fileName: string | null;
  filePath: string | null;
  processId: number | null;
  processCommandLine: string | null;
  processCreationTime: string | null;
  parentProcessId: number | null;
  parentProcessCreationTime: string | null;
  parentProcessFileName: string | null;
  parentProcessFilePath: string | null;
  ipAddress: string | null;
  url: string | null;
  registryKey: string | null;
  registryHive: string | null;
  registryValueType: string | null;
  registryValue: string | null;
  accountName: string | null;
  domainName: string | null;
  userSid: string | null;
  aadUserId: string | null;
  userPrincipalName: string | null;
}

/** docs/mde-api.md#alerts: alert. */
export interface AlertRecord {
  id: string;
  incidentId: number | null;
  investigationId: number | null;
  assignedTo: string | null;
  severity: 'UnSpecified' | 'Informational' | 'Low' | 'Medium' | 'High';
  status: 'Unknown' | 'New' | 'InProgress' | 'Resolved';
  classification: string | null;
  determination: string | null;
  investigationState: string;
  detectionSource: string;
  detectorId: string;
  category: string;
  threatFamilyName: string | null;
  threatName: string | null;
  title: string;
  description: string;
  alertCreationTime: string;
  firstEventTime: string;
  lastEventTime: string;
  lastUpdateTime: string;
  resolvedTime: string | null;
  machineId: string;
  computerDnsName: string | null;
  rbacGroupName: string;
  aadTenantId: string;
  mitreTechniques: string[];
  relatedUser: { userName: string; domainName: string } | null;
  comments: Array<{ comment: string; createdBy: string; createdTime: string }>;
  evidence: AlertEvidenceRecord[];
}

/** docs/mde-api.md#other-machine-endpoints: logon user. */
export interface LogonUserRecord {
  id: string;
  accountName: string;
  accountDomain: string;
  firstSeen: string;
  lastSeen: string;
  logonTypes: string;
  isDomainAdmin: boolean;
  isOnlyNetworkUser: boolean;
}

/** docs/mde-api.md#machines: getmissingkbs item. */
export interface MissingKbRecord {
  id: string;
  name: string;
  productsNames: string[];
  url: string;
  machineMissedOn: number;
  cveAddressed: number;
}
