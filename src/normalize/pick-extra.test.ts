import { describe, expect, it } from 'vitest';
import { createExtraPicker, pickExtra } from './pick-extra.js';

const KNOWN = new Set(['id', 'deviceId', 'cveId', 'diskPaths']);

/** Both ways over the same records in order: the picker remembers shapes between records. */
function both(records: object[]) {
  const pick = createExtraPicker(KNOWN);
  return { picked: records.map((r) => pick(r)), reference: records.map((r) => pickExtra(r, KNOWN)) };
}

describe('createExtraPicker', () => {
  it('gives what pickExtra gives as the key shape changes from row to row', () => {
    const row = (i: number) => ({ id: `r${i}`, deviceId: 'd', cveId: 'CVE-1', diskPaths: [] as string[] });
    const records: object[] = [
      row(1),
      row(2),
      // An unknown field in the middle of a file, then the usual shape again.
      { id: 'r3', deviceId: 'd', newField: { a: 1 }, cveId: 'CVE-1', diskPaths: [] },
      row(4),
      // The same unknown key at another position, two of them, one undefined.
      { id: 'r5', deviceId: 'd', cveId: 'CVE-1', diskPaths: [], newField: 2, other: 'x' },
      { id: 'r6', deviceId: 'd', cveId: 'CVE-1', diskPaths: [], newField: undefined, other: 'y' },
      { id: 'r7', deviceId: 'd', cveId: 'CVE-1', diskPaths: [], newField: 3, other: null },
      // Fewer keys, a prefix of the last shape; more keys, the last shape as a prefix.
      { id: 'r8', deviceId: 'd' },
      { id: 'r9', deviceId: 'd', cveId: 'CVE-1', diskPaths: [], newField: 4, other: 'z', third: true },
      // Integer-like keys come first in both walks.
      { 2: 'two', id: 'r10', 1: 'one' },
      {},
      row(12),
    ];
    const { picked, reference } = both(records);
    expect(picked).toEqual(reference);
    expect(picked[2]).toEqual({ newField: { a: 1 } });
    expect(picked[3]).toEqual({});
    expect(Object.keys(picked[8]!)).toEqual(['newField', 'other', 'third']);
    expect(picked[5]).toEqual({ other: 'y' });
  });

  it('leaves out inherited keys and keeps own ones of the same name', () => {
    const proto = { inherited: 1 };
    const a = Object.assign(Object.create(proto) as object, { id: 'a', own: 1 });
    const b = { id: 'b', own: 2, inherited: 3 };
    const { picked, reference } = both([a, b, a]);
    expect(picked).toEqual(reference);
    expect(picked).toEqual([{ own: 1 }, { own: 2, inherited: 3 }, { own: 1 }]);
  });

  it('returns a new object each time, so no finding shares its extra with another', () => {
    const pick = createExtraPicker(KNOWN);
    const first = pick({ id: 'a', x: 1 });
    const second = pick({ id: 'b', x: 1 });
    expect(first).toEqual(second);
    expect(first).not.toBe(second);
    expect(pick({ id: 'c' })).not.toBe(pick({ id: 'd' }));
  });
});
