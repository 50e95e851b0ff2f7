import { describe, expect, it } from 'vitest';
import { createKeySpec, type KeySpec, normalizeKeys } from './normalize-keys.js';

const SHAPE = {
  keys: [
    'id',
    'deviceId',
    'osPlatform',
    'rbacGroupId',
    'cveSupportability',
    'epss',
    'onboardingStatus',
    'evidence',
    'relatedUser',
  ],
  nested: {
    evidence: { keys: ['entityType', 'sha1'] },
    relatedUser: { keys: ['userName', 'domainName'] },
  },
};

/** A spec whose plan cache is full, so that normalizeKeys takes its general (slow) path. */
function saturatedSpec(): KeySpec {
  const spec = createKeySpec(SHAPE);
  for (let i = 0; i < 64; i++) normalizeKeys({ [`filler${i}`]: i }, spec);
  return spec;
}

const cases: Array<[string, Record<string, unknown>, Record<string, unknown>]> = [
  ['camelCase stays as it is', { id: 'a', osPlatform: 'Windows10' }, { id: 'a', osPlatform: 'Windows10' }],
  [
    'PascalCase export keys',
    { Id: 'a', DeviceId: 'd', OSPlatform: 'Windows11', RbacGroupId: 140 },
    { id: 'a', deviceId: 'd', osPlatform: 'Windows11', rbacGroupId: 140 },
  ],
  ['ID in capitals', { ID: 'a' }, { id: 'a' }],
  [
    'lower-case doc spelling onboardingstatus',
    { onboardingstatus: 'onboarded' },
    { onboardingStatus: 'onboarded' },
  ],
  [
    'CveSupportability and EPSS (12.2)',
    { CveSupportability: 'supported', EPSS: 0.5 },
    { cveSupportability: 'supported', epss: 0.5 },
  ],
  [
    'unknown keys are kept as they are',
    { '@odata.context': 'x', Id: 'a', SomethingNew: 1 },
    { '@odata.context': 'x', id: 'a', SomethingNew: 1 },
  ],
  [
    'the exact canonical key wins over a variant before it',
    { ID: 'variant', id: 'exact' },
    { ID: 'variant', id: 'exact' },
  ],
  [
    'the exact canonical key wins over a variant after it',
    { id: 'exact', Id: 'variant' },
    { id: 'exact', Id: 'variant' },
  ],
  ['between two variants the first wins', { ID: 'first', Id: 'second' }, { id: 'first', Id: 'second' }],
  [
    'nested arrays and objects are normalised',
    { Evidence: [{ EntityType: 'File', SHA1: 'ab' }, 'junk', null], RelatedUser: { UserName: 'u' } },
    { evidence: [{ entityType: 'File', sha1: 'ab' }, 'junk', null], relatedUser: { userName: 'u' } },
  ],
  [
    'garbage where an object is expected is left for the schema to reject',
    { Evidence: 'not-an-array', RelatedUser: 42, id: null },
    { evidence: 'not-an-array', relatedUser: 42, id: null },
  ],
  ['an empty record', {}, {}],
];

describe('normalizeKeys', () => {
  it.each(cases)('%s', (_name, input, expected) => {
    const snapshot = structuredClone(input);
    expect(normalizeKeys(input, createKeySpec(SHAPE))).toStrictEqual(expected);
    // The general path used once the plan cache is full gives the same result.
    expect(normalizeKeys(input, saturatedSpec())).toStrictEqual(expected);
    expect(input).toStrictEqual(snapshot);
  });

  it('gives the same result for every record of a stream (plan reuse)', () => {
    const spec = createKeySpec(SHAPE);
    for (let i = 0; i < 3; i++) {
      expect(normalizeKeys({ Id: `a${i}`, OSPlatform: 'x' }, spec)).toStrictEqual({
        id: `a${i}`,
        osPlatform: 'x',
      });
    }
  });

  it('returns an already-canonical record itself, without copying', () => {
    const record = { id: 'a', evidence: [{ entityType: 'File' }], relatedUser: { userName: 'u' } };
    expect(normalizeKeys(record, createKeySpec(SHAPE))).toBe(record);
    expect(normalizeKeys(record, saturatedSpec())).toBe(record);
  });

  it('copies only when a nested key changes', () => {
    const record = { id: 'a', evidence: [{ EntityType: 'File' }] };
    const out = normalizeKeys(record, createKeySpec(SHAPE));
    expect(out).not.toBe(record);
    expect(out).toStrictEqual({ id: 'a', evidence: [{ entityType: 'File' }] });
  });

  it('keeps a __proto__ key as data without touching the prototype', () => {
    for (const spec of [createKeySpec(SHAPE), saturatedSpec()]) {
      const input = JSON.parse('{"Id":"a","__proto__":{"polluted":true}}') as Record<string, unknown>;
      const out = normalizeKeys(input, spec);
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
      expect(Object.hasOwn(out, '__proto__')).toBe(true);
      expect((out as { polluted?: boolean }).polluted).toBeUndefined();
      expect(out['id']).toBe('a');
    }
  });

  it('copies records with any key names like the general path, in the same key order', () => {
    // Keys that would break or inject code if the generated copy quoted them wrongly.
    const odd = [
      'a"b',
      "c'd",
      'e\\f',
      'g\nh',
      '}; globalThis.injected = 1; ({',
      '\u2028\u2029',
      '\ud800',
      '',
      '10',
      '2',
      'constructor',
      'toString',
      '__proto__x',
    ];
    const record: Record<string, unknown> = { Id: 'a', OSPlatform: 'p' };
    odd.forEach((key, i) => {
      record[key] = i;
    });
    for (let round = 0; round < 3; round++) {
      const planned = normalizeKeys(record, createKeySpec(SHAPE));
      const general = normalizeKeys(record, saturatedSpec());
      expect(planned).toStrictEqual(general);
      expect(Object.keys(planned)).toEqual(Object.keys(general));
      expect(planned['id']).toBe('a');
      expect(planned['}; globalThis.injected = 1; ({']).toBe(4);
    }
    expect((globalThis as { injected?: number }).injected).toBeUndefined();
  });

  it('rejects a shape whose keys differ only by case', () => {
    expect(() => createKeySpec({ keys: ['id', 'ID'] })).toThrow(/differ only by case/);
  });
});
