import type { Generated } from 'kysely';

/**
 * The tables of design.md section 3, as Kysely sees them. Names are snake_case in SQL and camelCase
 * in TypeScript (Kysely's CamelCasePlugin maps them). Timestamps are ISO-8601 UTC text in both
 * databases: one schema for SQLite and PostgreSQL, and text order is time order. Lists and objects
 * are JSON text. Booleans are 0/1 integers, which both databases index and compare the same way.
 */
export interface ConnectorTable {
  id: Generated<number>;
  name: string;
  kind: string;
  network: string;
  tenantId: string;
  clientId: string;
  /** AES-256-GCM ciphertext of the client secret (design.md 7); never returned or logged. */
  secretEncrypted: string | null;
  /** AES-256-GCM ciphertext of a PEM private key + certificate, for certificate credentials. */
  certificateEncrypted: string | null;
  cloud: string;
  apiUrl: string;
  loginUrl: string;
  scope: string;
  active: number;
  schedule: string | null;
  /** Every option of design.md section 4, validated, as JSON. */
  options: string;
  state: string;
  lastRunId: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface SyncRunTable {
  id: Generated<number>;
  connectorId: number;
  mode: string;
  trigger: string;
  state: string;
  startedAt: string;
  finishedAt: string | null;
  /** Per-stream counters: fetched, inserted, updated, unchanged, closed, rejected (JSON). */
  counters: string;
  apiCalls: number;
  retries: number;
  throttledMs: number;
  /** generatedTime of the vulnerability snapshot this run read, if any. */
  snapshotTime: string | null;
  error: string | null;
}

export interface SyncCheckpointTable {
  connectorId: number;
  stream: string;
  value: string;
  updatedAt: string;
}

export interface HostTable {
  id: Generated<number>;
  /** The source identity that created the host (e.g. `mde:<connector>:<machine id>`), unique. */
  identityKey: string;
  name: string;
  fqdn: string | null;
  hostname: string | null;
  ipAddresses: string;
  macAddresses: string;
  osPlatform: string | null;
  osVersion: string | null;
  osBuild: string | null;
  osArchitecture: string | null;
  firstSeen: string | null;
  lastSeen: string | null;
  riskLevel: string | null;
  riskScore: number | null;
  status: string;
  network: string;
  tags: string;
  customAttributes: string;
  createdAt: string;
  updatedAt: string;
}

/** What one connector says about one host: the "Defender ..." fields of seed 000. */
export interface HostSourceTable {
  id: Generated<number>;
  hostId: number;
  connectorId: number;
  source: string;
  machineId: string;
  aadDeviceId: string | null;
  computerDnsName: string | null;
  lastIpAddress: string | null;
  lastExternalIpAddress: string | null;
  agentVersion: string | null;
  healthStatus: string | null;
  deviceValue: string | null;
  rbacGroupId: number | null;
  rbacGroupName: string | null;
  riskScore: string | null;
  exposureLevel: string | null;
  isAadJoined: number | null;
  onboardingStatus: string | null;
  machineTags: string;
  managedBy: string | null;
  isPotentialDuplication: number | null;
  mergedIntoMachineId: string | null;
  isExcluded: number | null;
  exclusionReason: string | null;
  defenderAvStatus: string | null;
  osPlatform: string | null;
  osVersion: string | null;
  osBuild: string | null;
  osArchitecture: string | null;
  ipAddresses: string;
  firstSeen: string | null;
  lastSeen: string | null;
  /** `unknown` until a vulnerability stream ran; `not-licensed` after a 403 (design.md 5). */
  vulnerabilityDataState: string;
  /** The full pass that last had any row for this device: devices no pass saw were never scanned. */
  vulnerabilitySeenToken: number | null;
  contentHash: string;
  seenRunId: number;
  extra: string;
  updatedAt: string;
}

export interface FindingTable {
  id: Generated<number>;
  connectorId: number;
  hostId: number | null;
  machineId: string;
  /** machineId|cveId|vendor|name|version: the finding key of design.md 3. */
  findingKey: string;
  cveId: string;
  softwareVendor: string;
  softwareName: string;
  softwareVersion: string;
  name: string;
  sourceSeverity: string | null;
  severity: number;
  score: number;
  status: string;
  reopenedCount: number;
  firstFound: string;
  lastFound: string;
  lastFixed: string | null;
  /** Time of the snapshot or change event that last set this finding's state (delta ordering). */
  stateTime: string;
  securityUpdateAvailable: number | null;
  recommendedSecurityUpdate: string | null;
  recommendedSecurityUpdateId: string | null;
  recommendedSecurityUpdateUrl: string | null;
  diskPaths: string;
  registryPaths: string;
  exploitabilityLevel: string | null;
  recommendationReference: string | null;
  endOfSupportStatus: string | null;
  endOfSupportDate: string | null;
  rbacGroupId: number | null;
  rbacGroupName: string | null;
  cvssScore: number | null;
  contentHash: string;
  seenRunId: number;
  extra: string;
  customAttributes: string;
  updatedAt: string;
}

export interface VulnerabilityDefinitionTable {
  connectorId: number;
  id: string;
  name: string | null;
  description: string | null;
  severity: string | null;
  cvssV3: number | null;
  cvssVector: string | null;
  epss: number | null;
  publishedOn: string | null;
  updatedOn: string | null;
  firstDetected: string | null;
  publicExploit: number | null;
  exploitVerified: number | null;
  exploitInKit: number | null;
  exploitTypes: string;
  exploitUris: string;
  cveSupportability: string | null;
  tags: string;
  exposedMachines: number | null;
  contentHash: string;
  seenRunId: number;
  extra: string;
  updatedAt: string;
}

export interface SoftwareTable {
  connectorId: number;
  id: string;
  name: string;
  vendor: string;
  weaknesses: number | null;
  publicExploit: number | null;
  activeAlert: number | null;
  exposedMachines: number | null;
  impactScore: number | null;
  contentHash: string;
  seenRunId: number;
  extra: string;
  updatedAt: string;
}

export interface InstalledSoftwareTable {
  id: Generated<number>;
  connectorId: number;
  hostId: number | null;
  machineId: string;
  /** machineId|vendor|name|version. */
  installKey: string;
  softwareId: string;
  softwareVendor: string;
  softwareName: string;
  softwareVersion: string;
  /** `cpe` rows come from the inventory export, `non-cpe` from the non-CPE inventory. */
  kind: string;
  numberOfWeaknesses: number | null;
  diskPaths: string;
  registryPaths: string;
  firstSeen: string | null;
  lastSeen: string | null;
  endOfSupportStatus: string | null;
  endOfSupportDate: string | null;
  status: string;
  contentHash: string;
  seenRunId: number;
  extra: string;
  updatedAt: string;
}

export interface RecommendationTable {
  connectorId: number;
  id: string;
  productName: string | null;
  recommendationName: string | null;
  vendor: string | null;
  weaknesses: number | null;
  recommendedVersion: string | null;
  recommendedProgram: string | null;
  recommendedVendor: string | null;
  recommendationCategory: string | null;
  subCategory: string | null;
  severityScore: number | null;
  publicExploit: number | null;
  activeAlert: number | null;
  associatedThreats: string;
  remediationType: string | null;
  status: string | null;
  configScoreImpact: number | null;
  exposureImpact: number | null;
  totalMachineCount: number | null;
  exposedMachinesCount: number | null;
  nonProductivityImpactedAssets: number | null;
  relatedComponent: string | null;
  hasUnpatchableCve: number | null;
  tags: string;
  exposedCriticalDevices: number | null;
  contentHash: string;
  seenRunId: number;
  extra: string;
  updatedAt: string;
}

export interface AlertTable {
  connectorId: number;
  id: string;
  hostId: number | null;
  machineId: string | null;
  title: string | null;
  description: string | null;
  severity: string | null;
  status: string | null;
  classification: string | null;
  determination: string | null;
  investigationState: string | null;
  detectionSource: string | null;
  detectorId: string | null;
  category: string | null;
  threatFamilyName: string | null;
  threatName: string | null;
  incidentId: number | null;
  investigationId: number | null;
  assignedTo: string | null;
  alertCreationTime: string | null;
  firstEventTime: string | null;
  lastEventTime: string | null;
  lastUpdateTime: string | null;
  resolvedTime: string | null;
  computerDnsName: string | null;
  rbacGroupName: string | null;
  mitreTechniques: string;
  relatedUser: string | null;
  comments: string;
  evidence: string;
  contentHash: string;
  extra: string;
  updatedAt: string;
}

export interface MachineActionTable {
  id: string;
  connectorId: number;
  hostId: number | null;
  machineId: string;
  type: string;
  scope: string | null;
  status: string;
  requestor: string | null;
  requestorComment: string | null;
  creationTime: string | null;
  lastUpdateTime: string | null;
  error: string | null;
  raw: string;
  updatedAt: string;
}

/** A connector's scoring map (seed 004): rows as JSON `[{match, severity, score}]`, in order. */
export interface ScoringMapTable {
  connectorId: number;
  rows: string;
  defaultSeverity: number;
  defaultScore: number;
  updatedAt: string;
}

export interface Database {
  connectors: ConnectorTable;
  syncRuns: SyncRunTable;
  syncCheckpoints: SyncCheckpointTable;
  hosts: HostTable;
  hostSources: HostSourceTable;
  findings: FindingTable;
  vulnerabilityDefinitions: VulnerabilityDefinitionTable;
  software: SoftwareTable;
  installedSoftware: InstalledSoftwareTable;
  recommendations: RecommendationTable;
  alerts: AlertTable;
  machineActions: MachineActionTable;
  scoringMaps: ScoringMapTable;
}
