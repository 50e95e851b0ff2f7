import { describe, expect, it } from 'vitest';
import { ReadCache } from './read-cache.js';

/** A marker the test moves by hand, as a commit would. */
function handMarker() {
  let version = 0;
  return {
    marker: async () => `v${version}`,
    commit() {
      version++;
    },
  };
}

/** A read that counts its calls and answers when the test lets it. */
function gatedRead(value: (call: number) => unknown) {
  let calls = 0;
  const gates: Array<() => void> = [];
  return {
    read: async () => {
      const call = ++calls;
      await new Promise<void>((resolve) => gates.push(resolve));
      return value(call);
    },
    get calls() {
      return calls;
    },
    openAll() {
      for (const open of gates.splice(0)) open();
    },
  };
}

const text = (b: Buffer) => b.toString('utf8');
/** A value as the API sends it. */
const json = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('ReadCache', () => {
  it('makes requests that arrive while the same read runs, on an unchanged store, wait for it', async () => {
    const m = handMarker();
    const cache = new ReadCache(m.marker);
    const ask = async (key: string, read: () => Promise<unknown>) =>
      cache.answer(key, await m.marker(), async () => json(await read()));
    const r = gatedRead((call) => ({ call }));
    const first = ask('/api/hosts', r.read);
    const second = ask('/api/hosts', r.read);
    await new Promise((resolve) => setImmediate(resolve));
    r.openAll();
    expect(text(await first)).toBe('{"call":1}');
    expect(text(await second)).toBe('{"call":1}');
    expect(r.calls).toBe(1);
  });

  it('answers a later request from the finished read until the store changes', async () => {
    const m = handMarker();
    const cache = new ReadCache(m.marker);
    const ask = async (key: string, read: () => Promise<unknown>) =>
      cache.answer(key, await m.marker(), async () => json(await read()));
    let calls = 0;
    const read = async () => ({ call: ++calls });
    expect(text(await ask('/api/hosts', read))).toBe('{"call":1}');
    expect(text(await ask('/api/hosts', read))).toBe('{"call":1}');
    m.commit();
    expect(text(await ask('/api/hosts', read))).toBe('{"call":2}');
    expect(text(await ask('/api/hosts', read))).toBe('{"call":2}');
    expect(calls).toBe(2);
  });

  it('keeps reads of different URLs apart', async () => {
    const m = handMarker();
    const cache = new ReadCache(m.marker);
    const ask = async (key: string, read: () => Promise<unknown>) =>
      cache.answer(key, await m.marker(), async () => json(await read()));
    expect(text(await ask('/api/hosts?limit=1', async () => 'one'))).toBe('"one"');
    expect(text(await ask('/api/hosts?limit=2', async () => 'two'))).toBe('"two"');
    expect(text(await ask('/api/hosts?limit=1', async () => 'again'))).toBe('"one"');
  });

  it('does not make a request wait for a read that began before a commit it saw', async () => {
    const m = handMarker();
    const cache = new ReadCache(m.marker);
    const ask = async (key: string, read: () => Promise<unknown>) =>
      cache.answer(key, await m.marker(), async () => json(await read()));
    const r = gatedRead((call) => call);
    const before = ask('/api/hosts', r.read);
    await new Promise((resolve) => setImmediate(resolve));
    m.commit();
    const after = ask('/api/hosts', r.read);
    await new Promise((resolve) => setImmediate(resolve));
    r.openAll();
    expect(text(await before)).toBe('1');
    expect(text(await after)).toBe('2');
    // The newer read is the one kept.
    expect(text(await ask('/api/hosts', async () => 3))).toBe('2');
  });

  it('shares a failure with those waiting for it, but reads again for the next request', async () => {
    const m = handMarker();
    const cache = new ReadCache(m.marker);
    const ask = async (key: string, read: () => Promise<unknown>) =>
      cache.answer(key, await m.marker(), async () => json(await read()));
    let calls = 0;
    const failing = async () => {
      calls++;
      await new Promise((resolve) => setImmediate(resolve));
      throw new Error('host 7 not found');
    };
    const results = await Promise.allSettled([ask('/api/hosts/7', failing), ask('/api/hosts/7', failing)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(calls).toBe(1);
    expect(text(await ask('/api/hosts/7', async () => ({ id: 7 })))).toBe('{"id":7}');
    expect(cache.size.entries).toBe(1);
  });

  it('keeps at most 256 answers, dropping the least recently asked for', async () => {
    const m = handMarker();
    const cache = new ReadCache(m.marker);
    const ask = async (key: string, read: () => Promise<unknown>) =>
      cache.answer(key, await m.marker(), async () => json(await read()));
    for (let i = 0; i < 300; i++) await ask(`/api/hosts/${i}`, async () => i);
    expect(cache.size.entries).toBe(256);
    // The 44 oldest went; asking for one reads again.
    expect(text(await ask('/api/hosts/0', async () => 'read again'))).toBe('"read again"');
    expect(text(await ask('/api/hosts/299', async () => 'read again'))).toBe('299');
  });

  it('does not keep an answer over 8 MB, nor more than 64 MB in all', async () => {
    const m = handMarker();
    const cache = new ReadCache(m.marker);
    const ask = async (key: string, read: () => Promise<unknown>) =>
      cache.answer(key, await m.marker(), async () => json(await read()));
    const big = 'x'.repeat(9 * 1024 * 1024);
    await ask('/api/big', async () => big);
    expect(cache.size).toEqual({ entries: 0, bytes: 0 });
    const seven = 'y'.repeat(7 * 1024 * 1024);
    for (let i = 0; i < 12; i++) await ask(`/api/page/${i}`, async () => seven);
    expect(cache.size.bytes).toBeLessThanOrEqual(64 * 1024 * 1024);
    expect(cache.size.entries).toBe(9);
  });

  it('reads the marker once per request, however many ask for it', async () => {
    let reads = 0;
    const cache = new ReadCache(async () => `v${++reads}`);
    const first = {};
    const second = {};
    expect(await cache.markerOf(first)).toBe('v1');
    expect(await cache.markerOf(first)).toBe('v1');
    expect(await cache.markerOf(second)).toBe('v2');
    expect(reads).toBe(2);
  });
});
