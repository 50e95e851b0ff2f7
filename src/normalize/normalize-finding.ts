import type { VulnerabilityRow } from '../mde/schemas/vulnerability-row.js';
import { type CustomFieldExtractor, NO_CUSTOM_ATTRIBUTES } from './custom-fields.js';
import { defaultScore } from './default-scoring.js';
import { findingContentHash } from './finding-columns.js';
import { findingKey } from './finding-key.js';
import type { NormalizedFinding } from './model.js';
import { createExtraPicker } from './pick-extra.js';

const KNOWN = new Set([
  'id',
  'deviceId',
  'deviceName',
  'osPlatform',
  'osVersion',
  'osArchitecture',
  'rbacGroupName',
  'rbacGroupId',
  'softwareVendor',
  'softwareName',
  'softwareVersion',
  'cveId',
  'cvssScore',
  'vulnerabilitySeverityLevel',
  'recommendedSecurityUpdate',
  'recommendedSecurityUpdateId',
  'recommendedSecurityUpdateUrl',
  'diskPaths',
  'registryPaths',
  'lastSeenTimestamp',
  'firstSeenTimestamp',
  'exploitabilityLevel',
  'recommendationReference',
  'securityUpdateAvailable',
  'eventTimestamp',
  'status',
  'isOnboarded',
]);

/**
 * The rows of an export share one key sequence: their extra keys are found once (docs/benchmarks.md#targets).
 */
const pickRowExtra = createExtraPicker(KNOWN);

/**
 * One vulnerability row (docs/mde-api.md#vulnerability-rows; a delta row too, #delta-feed) as a finding, or
 * null for a row without a CVE: those rows say "this software is installed", which is not a vulnerability.
 * `custom`: the connector's finding custom fields, read from the parsed row (unknown fields included).
 */
export function normalizeFinding(
  row: VulnerabilityRow,
  custom?: CustomFieldExtractor,
): NormalizedFinding | null {
  const cveId = row.cveId?.trim();
  if (!cveId) return null;
  const machineId = row.deviceId.toLowerCase();
  const vendor = row.softwareVendor;
  const name = row.softwareName;
  const version = row.softwareVersion;
  const { severity, score } = defaultScore(
    row.vulnerabilitySeverityLevel,
    row.cvssScore,
    row.exploitabilityLevel,
  );
  const finding: NormalizedFinding = {
    machineId,
    findingKey: findingKey(machineId, cveId, vendor, name, version),
    cveId,
    softwareVendor: vendor,
    softwareName: name,
    softwareVersion: version,
    // The finding's name is vendor + product + version + CVE.
    name: `${vendor} ${name} ${version} ${cveId}`,
    sourceSeverity: row.vulnerabilitySeverityLevel ?? null,
    severity,
    score,
    firstSeen: row.firstSeenTimestamp ?? null,
    lastSeen: row.lastSeenTimestamp ?? null,
    securityUpdateAvailable: row.securityUpdateAvailable ?? null,
    recommendedSecurityUpdate: row.recommendedSecurityUpdate ?? null,
    recommendedSecurityUpdateId: row.recommendedSecurityUpdateId ?? null,
    recommendedSecurityUpdateUrl: row.recommendedSecurityUpdateUrl ?? null,
    diskPaths: row.diskPaths ?? [],
    registryPaths: row.registryPaths ?? [],
    exploitabilityLevel: row.exploitabilityLevel ?? null,
    recommendationReference: row.recommendationReference ?? null,
    rbacGroupId: row.rbacGroupId ?? null,
    rbacGroupName: row.rbacGroupName ?? null,
    cvssScore: row.cvssScore ?? null,
    extra: pickRowExtra(row),
    customAttributes: custom ? custom.extract(row) : NO_CUSTOM_ATTRIBUTES,
    contentHash: '',
  };
  finding.contentHash = findingContentHash(finding);
  return finding;
}
