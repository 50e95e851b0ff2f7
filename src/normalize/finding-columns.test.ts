import { hash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sampleFinding } from '../../test/helpers/sample-finding.js';
import { FINDING_COLUMNS, findingContentHash } from './finding-columns.js';
import type { NormalizedFinding } from './model.js';

/**
 * The content hash as the code computed it before the column description existed, frozen: stored
 * findings carry these hashes, and a hash that changed would rewrite every finding on the next sync.
 */
function frozenContentHash(f: NormalizedFinding): string {
  const digest = (values: readonly unknown[]) =>
    hash('sha1', JSON.stringify(values), 'base64url').slice(0, 22);
  let h = digest([
    f.sourceSeverity,
    f.cvssScore,
    f.securityUpdateAvailable,
    f.recommendedSecurityUpdate,
    f.recommendedSecurityUpdateId,
    f.recommendedSecurityUpdateUrl,
    f.diskPaths,
    f.registryPaths,
    f.exploitabilityLevel,
    f.recommendationReference,
    f.rbacGroupId,
    f.rbacGroupName,
    f.firstSeen,
    f.extra,
  ]);
  if (Object.keys(f.customAttributes).length > 0) h = digest([h, f.customAttributes]);
  return h;
}

const text = fc.option(fc.string(), { nil: null });
const findingArb: fc.Arbitrary<NormalizedFinding> = fc.record({
  machineId: fc.string(),
  findingKey: fc.string(),
  cveId: fc.string(),
  softwareVendor: fc.string(),
  softwareName: fc.string(),
  softwareVersion: fc.string(),
  name: fc.string(),
  sourceSeverity: text,
  severity: fc.integer({ min: 0, max: 5 }),
  score: fc.double({ noNaN: true, noDefaultInfinity: true }),
  firstSeen: text,
  lastSeen: text,
  securityUpdateAvailable: fc.option(fc.boolean(), { nil: null }),
  recommendedSecurityUpdate: text,
  recommendedSecurityUpdateId: text,
  recommendedSecurityUpdateUrl: text,
  diskPaths: fc.array(fc.string(), { maxLength: 3 }),
  registryPaths: fc.array(fc.string(), { maxLength: 3 }),
  exploitabilityLevel: text,
  recommendationReference: text,
  rbacGroupId: fc.option(fc.integer(), { nil: null }),
  rbacGroupName: text,
  cvssScore: fc.option(fc.double({ min: 0, max: 10, noNaN: true }), { nil: null }),
  extra: fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
  customAttributes: fc.dictionary(fc.string({ minLength: 1 }), fc.oneof(fc.string(), fc.integer()), {
    maxKeys: 2,
  }),
  contentHash: fc.string(),
});

describe('findingContentHash', () => {
  it('gives the hash stored findings carry, for any finding', () => {
    fc.assert(
      fc.property(findingArb, (f) => {
        expect(findingContentHash(f)).toBe(frozenContentHash(f));
      }),
      { numRuns: 500 },
    );
  });

  it('gives the hashes of a fixed sample, with and without custom attributes', () => {
    const f = sampleFinding({ extra: { k: 1 }, contentHash: '' });
    expect(findingContentHash(f)).toBe(frozenContentHash(f));
    // The last-seen time is volatile and left out; so are the key and scoring columns.
    expect(findingContentHash({ ...f, lastSeen: null, severity: 1, score: 3, name: 'x' })).toBe(
      findingContentHash(f),
    );
    expect(findingContentHash({ ...f, customAttributes: { tier: 'gold' } })).toBe(
      frozenContentHash({ ...f, customAttributes: { tier: 'gold' } }),
    );
    expect(findingContentHash({ ...f, customAttributes: { tier: 'gold' } })).not.toBe(findingContentHash(f));
  });

  it('hashes the hashed columns in description order', () => {
    const hashed = FINDING_COLUMNS.flatMap((c) => ('hashed' in c && c.hashed === 'always' ? [c.field] : []));
    expect(hashed).toEqual([
      'sourceSeverity',
      'cvssScore',
      'securityUpdateAvailable',
      'recommendedSecurityUpdate',
      'recommendedSecurityUpdateId',
      'recommendedSecurityUpdateUrl',
      'diskPaths',
      'registryPaths',
      'exploitabilityLevel',
      'recommendationReference',
      'rbacGroupId',
      'rbacGroupName',
      'firstSeen',
      'extra',
    ]);
  });
});
