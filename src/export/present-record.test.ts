import { describe, expect, it } from 'vitest';
import { presentInto, presentRecord } from './present-record.js';

/** The generic loop: what a record must be, key for key and in order. */
const byLoop = (row: Record<string, unknown>) => presentInto({}, row, '');

function expectSame(actual: Record<string, unknown>, expected: Record<string, unknown>) {
  expect(actual).toEqual(expected);
  expect(Object.keys(actual)).toEqual(Object.keys(expected));
  expect(JSON.stringify(actual)).toBe(JSON.stringify(expected));
}

describe('presentRecord', () => {
  const host = {
    id: '12',
    name: 'pc-1',
    ipAddresses: '["10.0.0.1"]',
    tags: 'not json',
    macAddresses: null,
    isAadJoined: 1,
    isExcluded: '0',
    isPotentialDuplication: null,
    connectorId: '7',
    rbacGroupId: 'abc',
    contentHash: 'hidden',
    seenRunId: 3,
    riskScore: 41.5,
  };

  it('shows each column as the loop does: JSON parsed, yes/no, ids as numbers, bookkeeping left out', () => {
    const record = presentRecord(host);
    expectSame(record, byLoop(host));
    expect(record).toEqual({
      id: 12,
      name: 'pc-1',
      ipAddresses: ['10.0.0.1'],
      tags: 'not json',
      macAddresses: null,
      isAadJoined: true,
      isExcluded: false,
      isPotentialDuplication: null,
      connectorId: 7,
      rbacGroupId: 'abc',
      riskScore: 41.5,
    });
  });

  it('does not reuse one shape’s presenter for rows of another shape', () => {
    const rows: Record<string, unknown>[] = [
      host,
      { ...host, extra: '{"a":1}' },
      { name: 'no id', tags: '[]' },
      host,
      { tags: '[]', name: 'same keys, other order' },
      { name: 'x', tags: '[1]', contentHash: 'h' },
    ];
    for (const row of rows) expectSame(presentRecord(row), byLoop(row));
  });

  it('puts a given id first, unless the row has an id of its own', () => {
    const finding = { cveId: 'CVE-1', deviceId: 4, status: 'open' };
    expectSame(presentRecord(finding, '1:4:2:CVE-1'), { id: '1:4:2:CVE-1', cveId: 'CVE-1', status: 'open' });
    expectSame(presentRecord(host, 'other'), { id: 'other', ...byLoop(host) });
    expect(presentRecord(host, 'other').id).toBe(12);
  });

  it('takes a `__proto__` column as data, not as the prototype', () => {
    const row = JSON.parse('{"name":"a","__proto__":{"polluted":true}}') as Record<string, unknown>;
    const record = presentRecord(row);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.hasOwn(record, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expectSame(record, byLoop(row));
  });

  it('presents very wide rows as the loop does', () => {
    const row = Object.fromEntries(Array.from({ length: 450 }, (_, i) => [`field${i}`, i % 2 ? 'x' : null]));
    expectSame(presentRecord({ ...row, tags: '["t"]' }), byLoop({ ...row, tags: '["t"]' }));
  });

  it('names prefixed fields after the prefix', () => {
    expect(presentInto({}, { healthStatus: 'Active', machineTags: '["a"]', id: 3 }, 'defender')).toEqual({
      defenderHealthStatus: 'Active',
      defenderMachineTags: ['a'],
      defenderId: 3,
    });
  });
});
