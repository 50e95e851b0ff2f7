import type { CustomAttributes } from './custom-fields.js';

/**
 * Our model (docs/data-model.md) as plain values, produced by the pure normalizers from parsed MDE records
 * and written by the store. Lists are arrays here; the store turns them into JSON text.
 */
export interface NormalizedHost {
  name: string;
  fqdn: string | null;
  hostname: string | null;
  ipAddresses: string[];
  macAddresses: string[];
  osPlatform: string | null;
  osVersion: string | null;
  osBuild: string | null;
  osArchitecture: string | null;
  firstSeen: string | null;
  lastSeen: string | null;
  tags: string[];
  /** The device's addresses by reach (address-reach.ts); loopback and link-local in neither list. */
  privateIpAddresses: string[];
  publicIpAddresses: string[];
  /** The device's DNS name by reach (address-reach.ts). */
  privateDnsNames: string[];
  publicDnsNames: string[];
  /** An `instanceId` machine tag's value, else the cloud VM id (instance-id.ts). */
  instanceId: string | null;
  /** Values of the connector's custom field mappings (the connector's transform map); stored as JSON text. */
  customAttributes: CustomAttributes;
}

export interface NormalizedHostSource {
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
  isAadJoined: boolean | null;
  onboardingStatus: string | null;
  machineTags: string[];
  managedBy: string | null;
  isPotentialDuplication: boolean | null;
  mergedIntoMachineId: string | null;
  isExcluded: boolean | null;
  exclusionReason: string | null;
  defenderAvStatus: string | null;
  osPlatform: string | null;
  osVersion: string | null;
  osBuild: string | null;
  osArchitecture: string | null;
  /** Deprecated by MDE in favour of osArchitecture, kept as sent. */
  osProcessor: string | null;
  /** MDE's `version`: the OS release (e.g. 22H2). */
  version: string | null;
  managedByStatus: string | null;
  /** A cloud VM's metadata (vmId, cloudProvider, resourceId, subscriptionId), as sent; null otherwise. */
  vmMetadata: Record<string, unknown> | null;
  ipAddresses: Array<{
    ipAddress: string | null;
    macAddress: string | null;
    type: string | null;
    operationalStatus: string | null;
  }>;
  firstSeen: string | null;
  lastSeen: string | null;
  /** Fields MDE sent that we do not model, kept rather than lost (docs/architecture.md#conventions). */
  extra: Record<string, unknown>;
  contentHash: string;
}

export interface NormalizedMachine {
  host: NormalizedHost;
  source: NormalizedHostSource;
}

export interface NormalizedFinding {
  machineId: string;
  findingKey: string;
  cveId: string;
  softwareVendor: string;
  softwareName: string;
  softwareVersion: string;
  name: string;
  sourceSeverity: string | null;
  severity: number;
  score: number;
  firstSeen: string | null;
  lastSeen: string | null;
  securityUpdateAvailable: boolean | null;
  recommendedSecurityUpdate: string | null;
  recommendedSecurityUpdateId: string | null;
  recommendedSecurityUpdateUrl: string | null;
  diskPaths: string[];
  registryPaths: string[];
  exploitabilityLevel: string | null;
  recommendationReference: string | null;
  rbacGroupId: number | null;
  rbacGroupName: string | null;
  cvssScore: number | null;
  extra: Record<string, unknown>;
  /** Values of the connector's custom field mappings (the connector's transform map); stored as JSON text. */
  customAttributes: CustomAttributes;
  contentHash: string;
}

/** A catalog row keyed by its MDE id (or install key), with a hash of what it holds. */
export interface KeyedRecord {
  /** The key value (the MDE id, or the install key). */
  key: string;
  contentHash: string;
  /** Column values in camelCase, lists already JSON text. */
  values: Record<string, unknown>;
}
