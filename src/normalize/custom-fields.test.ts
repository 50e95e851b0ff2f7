import { describe, expect, it } from 'vitest';
import {
  CustomFieldError,
  type CustomFieldMapping,
  type CustomFieldType,
  compileCustomFields,
  customAttributesText,
  NO_CUSTOM_ATTRIBUTES,
  validateCustomFieldMapping,
} from './custom-fields.js';

const rule = (
  sourceField: string,
  dataType: CustomFieldType,
  name = 'x',
  entity: 'host' | 'finding' = 'host',
): CustomFieldMapping => ({ entity, sourceField, dataType, targetField: `customAttributes.${name}` });

/** One value through one mapping: the attribute, or undefined when it is left out. */
function one(sourceField: string, dataType: CustomFieldType, record: object) {
  const x = compileCustomFields([rule(sourceField, dataType)], 'host')!;
  const out = x.extract(record);
  return { value: out.x, failures: x.failures, problems: x.problems() };
}

describe('custom field conversions', () => {
  it.each<[CustomFieldType, unknown, unknown]>([
    ['string', 'Onboarded', 'Onboarded'],
    ['string', 42, '42'],
    ['string', true, 'true'],
    ['number', 7.5, 7.5],
    ['number', '140', 140],
    ['number', ' -3e2 ', -300],
    ['boolean', true, true],
    ['boolean', 'False', false],
    ['boolean', 'yes', true],
    ['boolean', 1, true],
    ['boolean', 0, false],
    ['datetime', '2020-12-30 14:17:26', '2020-12-30T14:17:26.000Z'],
    ['datetime', '2021-01-02T03:04:05+01:00', '2021-01-02T02:04:05.000Z'],
    ['list', ['a', null, 'b'], ['a', 'b']],
    ['list', 'single', ['single']],
    ['list', [], []],
  ])('%s from %j gives %j', (type, input, expected) => {
    const r = one('v', type, { v: input });
    expect(r.value).toEqual(expected);
    expect(r.failures).toBe(0);
  });

  it.each<[CustomFieldType, unknown, string]>([
    ['number', 'abc', '"abc"'],
    ['number', true, 'true'],
    ['number', { a: 1 }, 'an object'],
    ['boolean', 'maybe', '"maybe"'],
    ['boolean', 2, '2'],
    ['datetime', 'not a date', '"not a date"'],
    ['datetime', 1700000000, '1700000000'],
    ['string', { vmId: 'x' }, 'an object'],
    ['string', ['a'], 'a list'],
  ])('%s from %j is counted as a failure, not thrown', (type, input, example) => {
    const r = one('v', type, { v: input });
    expect(r.value).toBeUndefined();
    expect(r.failures).toBe(1);
    expect(r.problems).toEqual({ [`customAttributes.x: v is not a ${type} (e.g. ${example})`]: 1 });
  });

  it.each([null, undefined, '', '   '])('a missing value (%j) is no attribute and no failure', (input) => {
    const r = one('v', 'number', { v: input });
    expect(r.value).toBeUndefined();
    expect(r.failures).toBe(0);
  });
});

describe('custom field source paths', () => {
  const machine = {
    id: 'abc',
    onboardingStatus: 'Onboarded',
    vmMetadata: { vmId: 'vm-1', cloudProvider: 'Azure' },
    ipAddresses: [
      { ipAddress: '10.0.0.1', macAddress: 'AA' },
      { ipAddress: '10.0.0.2', macAddress: null },
    ],
    // Unknown fields keep the casing MDE sent (export files are PascalCase,
    // docs/mde-api.md#vulnerability-rows).
    CustomerTier: 'Gold',
    Nested: { Inner: { Deep: 3 } },
  };
  it.each<[string, CustomFieldType, unknown]>([
    ['onboardingStatus', 'string', 'Onboarded'],
    ['vmMetadata.vmId', 'string', 'vm-1'],
    ['VMMETADATA.CLOUDPROVIDER', 'string', 'Azure'],
    ['customerTier', 'string', 'Gold'],
    ['nested.inner.deep', 'number', 3],
    ['ipAddresses[].ipAddress', 'list', ['10.0.0.1', '10.0.0.2']],
    ['ipAddresses[].macAddress', 'list', ['AA']],
    ['ipAddresses[1].ipAddress', 'string', '10.0.0.2'],
    ['ipAddresses[5].ipAddress', 'string', undefined],
    ['vmMetadata.missing', 'string', undefined],
    ['onboardingStatus.deeper', 'string', undefined],
    ['toString', 'string', undefined],
    ['constructor', 'string', undefined],
  ])('%s (%s)', (path, type, expected) => {
    expect(one(path, type, machine).value).toEqual(expected);
  });

  it('extracts several attributes at once, only the entity asked for', () => {
    const x = compileCustomFields(
      [
        rule('vmMetadata.vmId', 'string', 'vmId'),
        rule('onboardingStatus', 'string', 'onboarding'),
        rule('cvssScore', 'number', 'cvss', 'finding'),
      ],
      'host',
    )!;
    expect(x.extract(machine)).toEqual({ vmId: 'vm-1', onboarding: 'Onboarded' });
  });

  it('no mappings for the entity: no extractor at all (the zero-cost path)', () => {
    expect(compileCustomFields([], 'host')).toBeUndefined();
    expect(compileCustomFields([rule('cvssScore', 'number', 'c', 'finding')], 'host')).toBeUndefined();
  });

  it('a record with none of the fields shares the empty attributes and stores {}', () => {
    const x = compileCustomFields([rule('vmMetadata.vmId', 'string')], 'host')!;
    const out = x.extract({ id: 'a', vmMetadata: null });
    expect(out).toBe(NO_CUSTOM_ATTRIBUTES);
    expect(customAttributesText(out)).toBe('{}');
    expect(customAttributesText({ a: 1 })).toBe('{"a":1}');
  });

  it('counts failures per mapping, with the first bad value as the example', () => {
    const x = compileCustomFields([rule('v', 'number', 'n'), rule('w', 'boolean', 'b')], 'host')!;
    for (const v of ['a', 'b', 3]) x.extract({ v, w: 'true' });
    x.extract({ w: 'perhaps' });
    expect(x.failures).toBe(3);
    expect(x.problems()).toEqual({
      'customAttributes.n: v is not a number (e.g. "a")': 2,
      'customAttributes.b: w is not a boolean (e.g. "perhaps")': 1,
    });
  });
});

describe('validating custom field input', () => {
  const ok = { entity: 'host', source: 'vmMetadata.vmId', type: 'string', target: 'customAttributes.vmId' };
  it('accepts a valid mapping and the entity-prefixed target', () => {
    expect(validateCustomFieldMapping(ok)).toEqual({
      entity: 'host',
      sourceField: 'vmMetadata.vmId',
      dataType: 'string',
      targetField: 'customAttributes.vmId',
    });
    expect(validateCustomFieldMapping({ ...ok, target: 'host.customAttributes.vmId' }).targetField).toBe(
      'customAttributes.vmId',
    );
  });

  it.each<[Partial<typeof ok> & Record<string, string | undefined>, string, RegExp]>([
    [{ entity: 'alert' }, 'entity', /--entity must be host or finding \(got "alert"\)/],
    [{ entity: undefined }, 'entity', /--entity must be host or finding \(got nothing\)/],
    [{ source: '' }, 'source', /--source is empty/],
    [
      { source: 'vm Metadata' },
      'source',
      /"vm Metadata" is not a field name; allowed: field names joined by dots/,
    ],
    [{ source: 'a..b' }, 'source', /"" is not a field name/],
    [{ source: '__proto__.x' }, 'source', /"__proto__" is not a field name/],
    [{ source: 'a.b.c.d.e.f.g.h.i' }, 'source', /deeper than 8 levels/],
    [
      { type: 'integer' },
      'type',
      /--type must be one of string, number, boolean, datetime, list \(got "integer"\)/,
    ],
    [
      { source: 'ipAddresses[].ipAddress' },
      'type',
      /--type must be list for --source "ipAddresses\[\]\.ipAddress"/,
    ],
    [{ target: 'vmId' }, 'target', /--target must be customAttributes.NAME/],
    [{ target: 'host.name' }, 'target', /--target must be customAttributes.NAME/],
    [{ target: 'finding.customAttributes.vmId' }, 'target', /--target must be customAttributes.NAME/],
    [{ target: 'customAttributes.a.b' }, 'target', /"a.b" is not an attribute name; allowed: a letter/],
    [{ target: 'customAttributes.=cmd' }, 'target', /"=cmd" is not an attribute name/],
    [{ target: `customAttributes.${'a'.repeat(65)}` }, 'target', /at most 64 characters/],
  ])('%j is refused, naming --%s', (patch, field, message) => {
    try {
      validateCustomFieldMapping({ ...ok, ...patch });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CustomFieldError);
      expect((err as CustomFieldError).field).toBe(field);
      expect((err as Error).message).toMatch(message);
    }
  });
});
