import type { NormalizedFinding } from '../../src/normalize/model.js';

/** One finding with every field set, for codec and hash tests; `overrides` replace fields. */
export function sampleFinding(overrides: Partial<NormalizedFinding> = {}): NormalizedFinding {
  return {
    machineId: 'm1',
    findingKey: 'm1|CVE-1|v|n|1.0',
    cveId: 'CVE-1',
    softwareVendor: 'v',
    softwareName: 'n',
    softwareVersion: '1.0',
    name: 'v n 1.0 CVE-1',
    sourceSeverity: 'High',
    severity: 4,
    score: 71.25,
    firstSeen: '2026-01-02T03:04:05.000Z',
    lastSeen: '2026-02-02T03:04:05.000Z',
    securityUpdateAvailable: true,
    recommendedSecurityUpdate: 'KB1',
    recommendedSecurityUpdateId: '1',
    recommendedSecurityUpdateUrl: 'https://example.com/kb1',
    diskPaths: ['C:\\a.exe'],
    registryPaths: [],
    exploitabilityLevel: 'NoExploit',
    recommendationReference: 'va-_-v-_-n',
    rbacGroupId: 3,
    rbacGroupName: 'group',
    cvssScore: 7.5,
    extra: {},
    customAttributes: {},
    contentHash: 'abc',
    ...overrides,
  };
}
