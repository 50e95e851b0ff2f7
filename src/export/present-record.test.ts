import { describe, expect, it } from 'vitest';
import { presentInto, presentRecord } from './present-record.js';

/**
 * What a record must be, key for key and in order, written out for the columns these tests use:
 * JSON columns parsed when they parse, yes/no columns as booleans, ids in digits as numbers,
 * bookkeeping left out.
 */
const JSON_KEYS = new Set(['ipAddresses', 'tags', 'macAddresses', 'extra', 'machineTags']);
const YES_NO_KEYS = new Set(['isAadJoined', 'isExcluded', 'isPotentialDuplication']);
const HIDDEN_KEYS = new Set(['contentHash', 'seenRunId']);
function byLoop(row: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (HIDDEN_KEYS.has(k)) continue;
    let value = v;
    if (JSON_KEYS.has(k) && typeof v === 'string')
      try {
        value = JSON.parse(v);
      } catch {}
    else if (YES_NO_KEYS.has(k) && v !== null && v !== undefined) value = Number(v) === 1;
    else if ((k === 'id' || k.endsWith('Id')) && typeof v === 'string' && /^\d+$/.test(v)) value = Number(v);
    const name = prefix ? `${prefix}${k[0]!.toUpperCase()}${k.slice(1)}` : k;
    Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

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

describe('presentInto', () => {
  it('adds prefixed fields as the loop does, leaving out the given keys, shape after shape', () => {
    const skip = new Set(['id', 'hostId']);
    const rows: Record<string, unknown>[] = [
      { id: 1, hostId: 2, healthStatus: 'Active', machineTags: '["a"]', isAadJoined: 0, seenRunId: 4 },
      { id: 1, hostId: 2, healthStatus: 'Inactive', machineTags: 'bad', isAadJoined: null, seenRunId: 4 },
      { machineTags: '[]', healthStatus: null },
    ];
    for (const row of rows) {
      const compiled = presentInto({ name: 'h' }, row, 'defender', skip);
      const kept = Object.fromEntries(Object.entries(row).filter(([k]) => !skip.has(k)));
      const expected = { name: 'h', ...byLoop(kept, 'defender') };
      expectSame(compiled, expected);
    }
  });
});
