import { describe, expect, it } from 'vitest';
import { type AffectedSoftware, patchAvailability } from './definition-enrichment-step.js';

const sw = (over: Partial<AffectedSoftware>): AffectedSoftware => ({
  vendor: 'google',
  name: 'chrome',
  findings: 1,
  openFindings: 1,
  recommendationId: null,
  recommendation: null,
  remediationType: null,
  securityUpdateAvailable: false,
  ...over,
});
const recs = new Map([
  ['va-update', { name: 'Update Chrome', remediationType: 'Update', hasUnpatchableCve: false }],
  ['va-upgrade-unpatchable', { name: 'Upgrade X', remediationType: 'Upgrade', hasUnpatchableCve: true }],
  ['va-uninstall', { name: 'Uninstall Y', remediationType: 'Uninstall', hasUnpatchableCve: false }],
]);

describe('patch availability of a CVE', () => {
  it.each([
    ['nothing links to the CVE', [], null],
    ['a finding has a security update', [sw({ securityUpdateAvailable: true })], true],
    ['the recommendation is an update', [sw({ recommendationId: 'va-update' })], true],
    ['an upgrade with an unpatchable CVE', [sw({ recommendationId: 'va-upgrade-unpatchable' })], false],
    ['only an uninstall', [sw({ recommendationId: 'va-uninstall' })], false],
    ['an unknown recommendation', [sw({ recommendationId: 'va-gone' })], false],
    [
      'one of two products is patchable',
      [sw({ recommendationId: 'va-uninstall' }), sw({ name: 'edge', securityUpdateAvailable: true })],
      true,
    ],
  ] as const)('%s → %s', (_name, software, expected) => {
    expect(patchAvailability(software, recs)).toBe(expected);
  });
});
