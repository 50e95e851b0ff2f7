import type { Generated } from 'kysely';
import type { FindingStatus } from '../../normalize/finding-lifecycle.js';
import type { RiskLevel } from '../../normalize/host-risk.js';
import type { HostStatus } from '../../normalize/host-status.js';

/**
 * The tables of docs/data-model.md, as Kysely sees them. Names are snake_case in SQL and camelCase
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
  /** AES-256-GCM ciphertext of the client secret; never returned or logged. */
  secretEncrypted: string | null;
  /** AES-256-GCM ciphertext of a PEM private key + certificate, for certificate credentials. */
  certificateEncrypted: string | null;
  cloud: string;
  apiUrl: string;
  loginUrl: string;
  scope: string;
  active: number;
  schedule: string | null;
  /** Every option of docs/data-model.md#connector, validated, as JSON. */
  options: string;
  state: string;
  lastRunId: number | null;
  createdAt: string;
  updatedAt: string;
  /** First and last moment (ISO UTC) the schedule may fire; null: unbounded (docs/scheduling.md). */
  scheduleStart: string | null;
  scheduleEnd: string | null;
  /** The time up to which the scheduler has consumed the schedule's slots; null: since creation. */
  scheduledThrough: string | null;
  /** Set when failed runs in a row stopped the schedule; cleared by an edit or a sync by hand. */
  suspendedAt: string | null;
  suspendedReason: string | null;
  /** Failed runs since the last run that was not (docs/scheduling.md#failed-runs). */
  failedRunsInRow: Generated<number>;
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
  /** Set by `mdec runs cancel` on a running run; the sync sees it within seconds and stops (cancel-request-watch.ts). */
  cancelRequestedAt: string | null;
  /** Times the run was found with no job left in the job queue (src/jobs/lost-run-recovery.ts). */
  lostJobs: Generated<number>;
  /** How far the running sync got (JSON, src/sync/live-progress.ts); written while it runs. */
  liveProgress: Generated<string | null>;
}

/**
 * A run handed to the workers of a SQLite store (src/jobs/table-job-queue.ts): the row lives until
 * the run ends. A worker holds it until `lockedUntil`; an expired lock is taken by the next worker.
 */
export interface JobQueueTable {
  id: Generated<number>;
  runId: number;
  connectorId: number;
  runAfter: string;
  lockedBy: string | null;
  lockedUntil: string | null;
  createdAt: string;
}

export interface SyncCheckpointTable {
  connectorId: number;
  stream: string;
  value: string;
  updatedAt: string;
}

/**
 * The sync lease of a connector (src/store/sync-lease-repository.ts): at most one row per connector,
 * held by the one process allowed to sync it until `expiresAt`, which its heartbeat moves on.
 */
export interface SyncLeaseTable {
  connectorId: number;
  /** Random per acquisition: only the holder knows it, so only the holder renews or releases. */
  token: string;
  /** The run the holder started; null for the moment between taking the lease and starting it. */
  runId: number | null;
  ownerHost: string;
  ownerPid: number;
  acquiredAt: string;
  heartbeatAt: string;
  expiresAt: string;
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
  /** One of RISK_LEVELS' words, as written (`High`), or null before the host risk step rated it. */
  riskLevel: RiskLevel | null;
  riskScore: number | null;
  status: HostStatus;
  network: string;
  tags: string;
  customAttributes: string;
  createdAt: string;
  updatedAt: string;
  /** Host risk (migration 0003): set by the post-sync step, see host-risk.ts. */
  openVulnerabilityCount: number | null;
  topVulnerabilityCveId: string | null;
  topVulnerabilitySeverity: number | null;
  topVulnerabilityScore: number | null;
  topAlertId: string | null;
  topAlertTitle: string | null;
  topAlertSeverity: string | null;
  openAlertCount: number | null;
  /** When the risk values last changed. */
  riskChangedAt: string | null;
  /** The addresses and DNS names split by reach (migration 0010, docs/data-model.md#host); JSON lists. */
  privateIpAddresses: Generated<string>;
  publicIpAddresses: Generated<string>;
  privateDnsNames: Generated<string>;
  publicDnsNames: Generated<string>;
  /** The cloud instance id: an `instanceId` machine tag, else the VM id (migration 0010). */
  instanceId: string | null;
}

/** What one connector says about one host: its "Defender ..." fields. */
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
  /**
   * `unknown` until a vulnerability stream ran; `not-licensed` after a 403 (docs/mde-api.md#not-licensed).
   */
  vulnerabilityDataState: string;
  /** The full pass that last had any row for this device: devices no pass saw were never scanned. */
  vulnerabilitySeenToken: number | null;
  contentHash: string;
  seenRunId: number;
  extra: string;
  updatedAt: string;
  /** Machine fields kept since migration 0010 (docs/mde-api.md#machine-fields); `vmMetadata` is JSON. */
  osProcessor: string | null;
  version: string | null;
  managedByStatus: string | null;
  vmMetadata: string | null;
}

/**
 * The findings table as stored: one row per connector, device, software version and CVE, without a
 * row id. Which field of a finding lives where is described in `normalize/finding-columns.ts`; only
 * the findings repository (`store/findings/finding-repository.ts`) reads or writes this shape.
 */
export interface FindingTable {
  connectorId: number;
  /** The connector's device (`finding_devices`). */
  deviceId: number;
  /** The software version (`finding_software`). */
  softwareId: number;
  cveId: string;
  hostId: number | null;
  severity: number;
  score: number;
  securityUpdateAvailable: number | null;
  exploitabilityLevel: string | null;
  recommendationReference: string | null;
  firstFound: string;
  contentHash: string;
  status: FindingStatus;
  reopenedCount: number;
  lastFound: string;
  lastFixed: string | null;
  /** Time of the snapshot or change event that last set this finding's state (delta ordering). */
  stateTime: string;
  endOfSupportStatus: string | null;
  endOfSupportDate: string | null;
  seenRunId: number;
  updatedAt: string;
  /** The rarely filtered fields, one JSON object keyed by column name. */
  packed: string;
}

/** The devices findings name, per connector: the integer a finding's key holds for its machine id. */
export interface FindingDeviceTable {
  id: Generated<number>;
  connectorId: number;
  machineId: string;
  /**
   * Digest of the device's open findings (key and content hash of each) as the last full pass stored
   * them; null when unknown (docs/data-model.md#finding-devices).
   */
  openDigest: Generated<string | null>;
}

/** The software versions findings name: the integer a finding's key holds for vendor, product, version. */
export interface FindingSoftwareTable {
  id: Generated<number>;
  vendor: string;
  name: string;
  version: string;
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
  /** Definitions in depth (migration 0003): parsed at sync, see cve-depth.ts. */
  cvssV3Version: string | null;
  cvssV3Vector: string | null;
  /** JSON object of every v3 base and temporal component. */
  cvssV3Components: Generated<string>;
  cvssV3BaseScore: number | null;
  cvssV3TemporalScore: number | null;
  /** 1 when the base score computed from the vector equals MDE's `cvssV3`, 0 when not. */
  cvssV3ScoreAgrees: number | null;
  /** MDE's `cvssV3` minus the computed base score, when they differ. */
  cvssV3ScoreDifference: number | null;
  cvssV2Vector: string | null;
  cvssV2Components: Generated<string>;
  cvssV2BaseScore: number | null;
  cvssV2TemporalScore: number | null;
  cvssParseError: string | null;
  /** `none` < `public` < `verified` < `in-kit`, and its rank 0..3. */
  exploitMaturity: string | null;
  exploitMaturityRank: number | null;
  /** JSON list of reference URLs (exploit URIs, NVD, security update pages). */
  referenceUrls: Generated<string>;
  /** Set by the post-sync step from findings and recommendations (definition-enrichment.ts). */
  affectedSoftware: Generated<string>;
  affectedSoftwareCount: number | null;
  recommendationIds: Generated<string>;
  patchAvailable: number | null;
  derivedAt: string | null;
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
  /** Installed versions with device counts, JSON (migration 0010, docs/data-model.md#software). */
  versions: Generated<string>;
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

/**
 * One machine action requested through the connector (migration 0013, docs/actions.md): kept after
 * its connector or host is removed, so the history stays.
 */
export interface MachineActionTable {
  id: Generated<number>;
  connectorId: number | null;
  connectorName: string;
  hostId: number | null;
  machineId: string;
  hostName: string | null;
  /** `isolate`, `unisolate` or `scan`. */
  action: string;
  /** MDE's scope: `Full` or `Selective` isolation, `Quick` or `Full` scan; null for a release. */
  actionType: string | null;
  comment: string;
  requestedBy: string;
  /** `cli` or `api`: where the requester acted from. */
  requestedVia: string;
  requestedAt: string;
  /** MDE's action id; null when MDE refused the request. */
  mdeActionId: string | null;
  /** MDE's status (Pending, InProgress, Succeeded, Failed, TimeOut, Cancelled), or `Refused`. */
  status: string;
  /** What the request came to: `accepted`, `already-pending` or `refused`. */
  outcome: string;
  error: string | null;
  mdeRequestor: string | null;
  lastUpdateAt: string | null;
  /** When the connector last read the status from MDE. */
  checkedAt: string | null;
  raw: string;
}

/** One entry of the append-only audit log (migration 0013, docs/audit-log.md). */
export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  actor: string;
  /** `cli` (an OS user), `api` (an API user) or `system`. */
  actorKind: string;
  action: string;
  targetKind: string;
  target: string;
  connectorName: string | null;
  /** JSON of the configuration before the change; never a secret. */
  before: string | null;
  after: string | null;
  outcome: string;
  detail: string | null;
}

/** A connector's clone of the out-of-the-box transform map; migration 0005. */
export interface TransformMapTable {
  connectorId: number;
  name: string;
  /** The map it was cloned from: `default`, the out-of-the-box map. */
  basedOn: string;
  createdAt: string;
  updatedAt: string;
}

/**
 * One custom field mapping of a cloned transform map (docs/data-model.md#transform-map-and-custom-fields);
 * migration 0005.
 */
export interface TransformMapFieldTable {
  id: Generated<number>;
  connectorId: number;
  /** `host` or `finding`. */
  entity: string;
  sourceField: string;
  /** `string`, `number`, `boolean`, `datetime` or `list`. */
  dataType: string;
  /** `customAttributes.NAME`. */
  targetField: string;
  createdAt: string;
}

/** What one host source says identifies its device: one row per kind and value. */
export interface HostIdentifierTable {
  sourceId: number;
  /** An identification rule: machineId, aadDeviceId, fqdn, hostname or ipMac. */
  kind: string;
  /** Lower-cased; `ip|mac` for ipMac. */
  value: string;
}

/** A dynamic `OS` or `OS_VERSION` profile of one connector. */
export interface ProfileTable {
  id: Generated<number>;
  connectorId: number;
  kind: string;
  name: string;
  osPlatform: string;
  /** The release (e.g. 22H2) of an `OS_VERSION` profile; null for `OS`. */
  osVersion: string | null;
  createdAt: string;
  updatedAt: string;
}

/** A host's membership of a profile, with how well Defender's OS details back it (0 to 100). */
export interface HostProfileTable {
  hostId: number;
  profileId: number;
  connectorId: number;
  matchScore: number;
  assignedAt: string;
}

/** A connector's scoring map: rows as JSON `[{match, severity, score}]`, in order. */
export interface ScoringMapTable {
  connectorId: number;
  rows: string;
  defaultSeverity: number;
  defaultScore: number;
  updatedAt: string;
}

/** A person who signs in to `mdec serve` (docs/api.md#authentication). */
export interface UserTable {
  id: Generated<number>;
  name: string;
  /** `admin`, `analyst` or `viewer`. */
  role: string;
  /** scrypt, with its parameters and salt (src/security/password-hash.ts). */
  passwordHash: string;
  createdAt: string;
  updatedAt: string;
}

/** A signed-in browser: the cookie holds a random value, the table only its SHA-256. */
export interface SessionTable {
  idHash: string;
  userId: number;
  csrfToken: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  address: string | null;
}

/** A script's bearer token: shown once, stored as its SHA-256, revocable. */
export interface ApiTokenTable {
  id: Generated<number>;
  userId: number;
  name: string;
  tokenHash: string;
  /** The first characters of the token, to tell tokens apart in lists. */
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface Database {
  connectors: ConnectorTable;
  syncRuns: SyncRunTable;
  syncCheckpoints: SyncCheckpointTable;
  syncLeases: SyncLeaseTable;
  jobQueue: JobQueueTable;
  hosts: HostTable;
  hostSources: HostSourceTable;
  findings: FindingTable;
  findingDevices: FindingDeviceTable;
  findingSoftware: FindingSoftwareTable;
  vulnerabilityDefinitions: VulnerabilityDefinitionTable;
  software: SoftwareTable;
  installedSoftware: InstalledSoftwareTable;
  recommendations: RecommendationTable;
  alerts: AlertTable;
  machineActions: MachineActionTable;
  auditLog: AuditLogTable;
  transformMaps: TransformMapTable;
  transformMapFields: TransformMapFieldTable;
  hostIdentifiers: HostIdentifierTable;
  profiles: ProfileTable;
  hostProfiles: HostProfileTable;
  scoringMaps: ScoringMapTable;
  users: UserTable;
  sessions: SessionTable;
  apiTokens: ApiTokenTable;
}
