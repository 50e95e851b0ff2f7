import { describe, expect, it } from 'vitest';
import { PRINCIPAL_REUSE_MS, PrincipalCache } from './principal-cache.js';

function clock(start = 1_000_000) {
  let t = start;
  return {
    now: () => new Date(t),
    advance(ms: number) {
      t += ms;
    },
  };
}

describe('PrincipalCache', () => {
  it('reuses a resolved credential while the marker stays, for less than a second', async () => {
    const c = clock();
    const cache = new PrincipalCache<string>(c.now);
    let calls = 0;
    const resolve = async () => `ada#${++calls}`;
    expect(await cache.resolve('k', 'm1', resolve)).toBe('ada#1');
    c.advance(PRINCIPAL_REUSE_MS - 1);
    expect(await cache.resolve('k', 'm1', resolve)).toBe('ada#1');
    c.advance(1);
    expect(await cache.resolve('k', 'm1', resolve)).toBe('ada#2');
    expect(calls).toBe(2);
  });

  it('resolves again as soon as the marker moves', async () => {
    const cache = new PrincipalCache<string>(clock().now);
    let calls = 0;
    const resolve = async () => `ada#${++calls}`;
    expect(await cache.resolve('k', 'm1', resolve)).toBe('ada#1');
    expect(await cache.resolve('k', 'm2', resolve)).toBe('ada#2');
    expect(await cache.resolve('k', 'm1', resolve)).toBe('ada#3');
  });

  it('does not remember a credential that resolves to nobody', async () => {
    const cache = new PrincipalCache<string>(clock().now);
    let calls = 0;
    const nobody = async () => {
      calls++;
      return undefined;
    };
    expect(await cache.resolve('k', 'm1', nobody)).toBeUndefined();
    expect(await cache.resolve('k', 'm1', async () => 'ada')).toBe('ada');
    expect(calls).toBe(1);
  });

  it('keeps credentials apart, and resolves again when the clock went back', async () => {
    const c = clock();
    const cache = new PrincipalCache<string>(c.now);
    expect(await cache.resolve('a', 'm', async () => 'ada')).toBe('ada');
    expect(await cache.resolve('b', 'm', async () => 'bob')).toBe('bob');
    expect(await cache.resolve('a', 'm', async () => 'other')).toBe('ada');
    c.advance(-5);
    expect(await cache.resolve('a', 'm', async () => 'again')).toBe('again');
  });
});
