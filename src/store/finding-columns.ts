import type { Insertable } from 'kysely';
import { customAttributesText } from '../normalize/custom-fields.js';
import type { NormalizedFinding } from '../normalize/model.js';
import type { FindingBatchContext } from './finding-batch.js';
import type { FindingTable } from './schema.js';

/** The columns that come from MDE's row, rewritten when its content changes. */
export function contentColumns(f: NormalizedFinding) {
  return {
    name: f.name,
    sourceSeverity: f.sourceSeverity,
    severity: f.severity,
    score: f.score,
    securityUpdateAvailable: f.securityUpdateAvailable === null ? null : f.securityUpdateAvailable ? 1 : 0,
    recommendedSecurityUpdate: f.recommendedSecurityUpdate,
    recommendedSecurityUpdateId: f.recommendedSecurityUpdateId,
    recommendedSecurityUpdateUrl: f.recommendedSecurityUpdateUrl,
    diskPaths: JSON.stringify(f.diskPaths),
    registryPaths: JSON.stringify(f.registryPaths),
    exploitabilityLevel: f.exploitabilityLevel,
    recommendationReference: f.recommendationReference,
    rbacGroupId: f.rbacGroupId,
    rbacGroupName: f.rbacGroupName,
    cvssScore: f.cvssScore,
    contentHash: f.contentHash,
    extra: JSON.stringify(f.extra),
    customAttributes: customAttributesText(f.customAttributes),
  };
}

/** A new finding's columns, open since `stateTime`. */
export function newFindingColumns(
  ctx: Pick<FindingBatchContext, 'connectorId' | 'seenToken' | 'at' | 'hostIdOf'>,
  f: NormalizedFinding,
  stateTime: string,
): Insertable<FindingTable> {
  return {
    connectorId: ctx.connectorId,
    hostId: ctx.hostIdOf(f.machineId),
    machineId: f.machineId,
    findingKey: f.findingKey,
    cveId: f.cveId,
    softwareVendor: f.softwareVendor,
    softwareName: f.softwareName,
    softwareVersion: f.softwareVersion,
    ...contentColumns(f),
    status: 'open',
    reopenedCount: 0,
    // MDE's own first-seen time when it has one: the finding existed before we looked.
    firstFound: f.firstSeen ?? stateTime,
    lastFound: stateTime,
    lastFixed: null,
    stateTime,
    endOfSupportStatus: null,
    endOfSupportDate: null,
    seenRunId: ctx.seenToken,
    updatedAt: ctx.at,
  };
}
