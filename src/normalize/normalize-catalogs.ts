import type { Alert } from '../mde/schemas/alert.js';
import type { Cve } from '../mde/schemas/cve.js';
import type { InventoryRow } from '../mde/schemas/inventory-row.js';
import type { NonCpeInventoryRow } from '../mde/schemas/non-cpe-inventory-row.js';
import type { Recommendation } from '../mde/schemas/recommendation.js';
import type { Software } from '../mde/schemas/software.js';
import { contentHash } from './content-hash.js';
import { cveDepth } from './cve-depth.js';
import { installKey } from './finding-key.js';
import type { KeyedRecord } from './model.js';
import { pickExtra } from './pick-extra.js';

const b = (v: boolean | null | undefined) => (v === null || v === undefined ? null : v ? 1 : 0);
const j = (v: unknown) => JSON.stringify(v ?? []);
const n = <T>(v: T | undefined) => v ?? null;

/** Builds a keyed row whose hash covers every stored value except the volatile ones named. */
function keyed(key: string, values: Record<string, unknown>, volatile: readonly string[] = []): KeyedRecord {
  const hashed = Object.entries(values).filter(([k]) => !volatile.includes(k));
  return { key, values, contentHash: contentHash(hashed) };
}

/** docs/mde-api.md#cve-catalog: one CVE of the catalog. */
export function normalizeCve(c: Cve): KeyedRecord {
  const known = new Set(Object.keys(c).filter((k) => k !== 'firstDetected'));
  return keyed(c.id, {
    name: n(c.name),
    description: n(c.description),
    severity: n(c.severity),
    cvssV3: n(c.cvssV3),
    cvssVector: n(c.cvssVector),
    epss: n(c.epss),
    publishedOn: n(c.publishedOn),
    updatedOn: n(c.updatedOn),
    firstDetected: n(c.firstDetected),
    publicExploit: b(c.publicExploit),
    exploitVerified: b(c.exploitVerified),
    exploitInKit: b(c.exploitInKit),
    exploitTypes: j(c.exploitTypes),
    exploitUris: j(c.exploitUris),
    cveSupportability: n(c.cveSupportability),
    tags: j(c.tags),
    exposedMachines: n(c.exposedMachines),
    extra: JSON.stringify(pickExtra(c, known)),
    // The vector parsed and checked, exploit maturity, references.
    ...cveDepth(c),
  });
}

/** docs/mde-api.md#software: a software entity. */
export function normalizeSoftware(s: Software): KeyedRecord {
  return keyed(s.id, {
    name: s.name ?? s.id,
    vendor: s.vendor ?? '',
    weaknesses: n(s.weaknesses),
    publicExploit: b(s.publicExploit),
    activeAlert: b(s.activeAlert),
    exposedMachines: n(s.exposedMachines),
    impactScore: n(s.impactScore),
    extra: '{}',
  });
}

/** docs/mde-api.md#recommendations: a security recommendation. */
export function normalizeRecommendation(r: Recommendation): KeyedRecord {
  return keyed(r.id, {
    productName: n(r.productName),
    recommendationName: n(r.recommendationName),
    vendor: n(r.vendor),
    weaknesses: n(r.weaknesses),
    recommendedVersion: n(r.recommendedVersion),
    recommendedProgram: n(r.recommendedProgram),
    recommendedVendor: n(r.recommendedVendor),
    recommendationCategory: n(r.recommendationCategory),
    subCategory: n(r.subCategory),
    severityScore: n(r.severityScore),
    publicExploit: b(r.publicExploit),
    activeAlert: b(r.activeAlert),
    associatedThreats: j(r.associatedThreats),
    remediationType: n(r.remediationType),
    status: n(r.status),
    configScoreImpact: n(r.configScoreImpact),
    exposureImpact: n(r.exposureImpact),
    totalMachineCount: n(r.totalMachineCount),
    exposedMachinesCount: n(r.exposedMachinesCount),
    nonProductivityImpactedAssets: n(r.nonProductivityImpactedAssets),
    relatedComponent: n(r.relatedComponent),
    hasUnpatchableCve: b(r.hasUnpatchableCve),
    tags: j(r.tags),
    exposedCriticalDevices: n(r.exposedCriticalDevices),
    extra: '{}',
  });
}

/** docs/mde-api.md#alerts: an alert, with its evidence when it was expanded. */
export function normalizeAlert(a: Alert, hostIdOf: (machineId: string) => number | null): KeyedRecord {
  const machineId = a.machineId ? a.machineId.toLowerCase() : null;
  return keyed(a.id, {
    hostId: machineId ? hostIdOf(machineId) : null,
    machineId,
    title: n(a.title),
    description: n(a.description),
    severity: n(a.severity),
    status: n(a.status),
    classification: n(a.classification),
    determination: n(a.determination),
    investigationState: n(a.investigationState),
    detectionSource: n(a.detectionSource),
    detectorId: n(a.detectorId),
    category: n(a.category),
    threatFamilyName: n(a.threatFamilyName),
    threatName: n(a.threatName),
    incidentId: n(a.incidentId),
    investigationId: n(a.investigationId),
    assignedTo: n(a.assignedTo),
    alertCreationTime: n(a.alertCreationTime),
    firstEventTime: n(a.firstEventTime),
    lastEventTime: n(a.lastEventTime),
    lastUpdateTime: n(a.lastUpdateTime),
    resolvedTime: n(a.resolvedTime),
    computerDnsName: n(a.computerDnsName),
    rbacGroupName: n(a.rbacGroupName),
    mitreTechniques: j(a.mitreTechniques),
    relatedUser: a.relatedUser ? JSON.stringify(a.relatedUser) : null,
    comments: j(a.comments),
    evidence: j(a.evidence),
    extra: JSON.stringify(a.aadTenantId ? { aadTenantId: a.aadTenantId } : {}),
  });
}

/** docs/mde-api.md#installed-software: one installed piece of software on one device (CPE inventory). */
export function normalizeInstalledSoftware(
  r: InventoryRow,
  hostIdOf: (machineId: string) => number | null,
): KeyedRecord {
  const machineId = r.deviceId.toLowerCase();
  return keyed(
    installKey(machineId, r.softwareVendor, r.softwareName, r.softwareVersion),
    {
      hostId: hostIdOf(machineId),
      machineId,
      softwareId: `${r.softwareVendor}-_-${r.softwareName}`,
      softwareVendor: r.softwareVendor,
      softwareName: r.softwareName,
      softwareVersion: r.softwareVersion,
      kind: 'cpe',
      numberOfWeaknesses: n(r.numberOfWeaknesses),
      diskPaths: j(r.diskPaths),
      registryPaths: j(r.registryPaths),
      firstSeen: n(r.softwareFirstSeenTimestamp),
      lastSeen: null,
      endOfSupportStatus: n(r.endOfSupportStatus),
      endOfSupportDate: n(r.endOfSupportDate),
      status: 'present',
      extra: '{}',
    },
    ['hostId'],
  );
}

/** docs/mde-api.md#installed-software: non-CPE software (no product code) on one device. */
export function normalizeNonCpeSoftware(
  r: NonCpeInventoryRow,
  hostIdOf: (machineId: string) => number | null,
): KeyedRecord {
  const machineId = r.deviceId.toLowerCase();
  return keyed(
    installKey(machineId, r.softwareVendor ?? '', r.softwareName, r.softwareVersion ?? ''),
    {
      hostId: hostIdOf(machineId),
      machineId,
      softwareId: `${r.softwareVendor ?? ''}-_-${r.softwareName}`,
      softwareVendor: r.softwareVendor ?? '',
      softwareName: r.softwareName,
      softwareVersion: r.softwareVersion ?? '',
      kind: 'non-cpe',
      numberOfWeaknesses: null,
      diskPaths: '[]',
      registryPaths: '[]',
      firstSeen: null,
      lastSeen: n(r.softwareLastSeenTimestamp),
      endOfSupportStatus: null,
      endOfSupportDate: null,
      status: 'present',
      extra: '{}',
    },
    ['hostId', 'lastSeen'],
  );
}
