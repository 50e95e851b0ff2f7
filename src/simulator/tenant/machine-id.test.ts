import { describe, expect, it } from 'vitest';
import { MachineIds } from './machine-id.js';

describe('machine ids', () => {
  const ids = new MachineIds(12345);

  it('are 40 lower-case hex digits and decode back to their index', () => {
    for (const index of [0, 1, 2, 99, 1000, 99_999, 100_000, 123_456_789, 0x7fffffff]) {
      const id = ids.idOf(index);
      expect(id).toMatch(/^[0-9a-f]{40}$/);
      expect(ids.indexOf(id)).toBe(index);
    }
  });

  it('are unique over a range', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20_000; i++) seen.add(ids.idOf(i));
    expect(seen.size).toBe(20_000);
  });

  it('rejects ids it did not make', () => {
    const id = ids.idOf(42);
    expect(ids.indexOf(`${id.slice(0, 39)}${id[39] === '0' ? '1' : '0'}`)).toBeUndefined();
    expect(ids.indexOf(id.toUpperCase())).toBeUndefined();
    expect(ids.indexOf(id.slice(1))).toBeUndefined();
    expect(ids.indexOf('1e5bc9d7e413ddd7902c2932e418702b84d0cc07')).toBeUndefined();
    expect(ids.indexOf('not-an-id')).toBeUndefined();
    expect(new MachineIds(54321).indexOf(id)).toBeUndefined();
  });
});
