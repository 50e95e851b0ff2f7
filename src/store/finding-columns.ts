import { customAttributesText } from '../normalize/custom-fields.js';
import type { NormalizedFinding } from '../normalize/model.js';

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
