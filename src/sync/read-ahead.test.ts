import { describe, expect, it } from 'vitest';
import { readAhead } from './read-ahead.js';

/** A source that records when each item is asked for and when it is handed over. */
function source(count: number, failAt?: number) {
  const events: string[] = [];
  let closed = false;
  async function* gen() {
    try {
      for (let i = 0; i < count; i++) {
        events.push(`fetch ${i}`);
        await new Promise((r) => setTimeout(r, 5));
        if (i === failAt) throw new Error(`page ${i} failed`);
        yield i;
      }
      return 'summary';
    } finally {
      closed = true;
    }
  }
  return { it: gen(), events, isClosed: () => closed };
}

describe('readAhead', () => {
  it('yields every item in order and returns the source result, fetching the next one meanwhile', async () => {
    const s = source(3);
    const seen: number[] = [];
    const reader = readAhead(s.it);
    for (;;) {
      const r = await reader.next();
      if (r.done) {
        expect(r.value).toBe('summary');
        break;
      }
      s.events.push(`handle ${r.value}`);
      // While the consumer holds item i, item i + 1 is already being fetched.
      if (r.value < 2) expect(s.events).toContain(`fetch ${r.value + 1}`);
      seen.push(r.value);
    }
    expect(seen).toEqual([0, 1, 2]);
  });

  it('reports a failure of the item read ahead when that item is asked for', async () => {
    const s = source(5, 2);
    const seen: number[] = [];
    await expect(async () => {
      for await (const i of readAhead(s.it)) {
        await new Promise((r) => setTimeout(r, 20));
        seen.push(i);
      }
    }).rejects.toThrow('page 2 failed');
    expect(seen).toEqual([0, 1]);
  });

  it('closes the source when the consumer stops early', async () => {
    const s = source(10);
    for await (const i of readAhead(s.it)) if (i === 1) break;
    expect(s.isClosed()).toBe(true);
    expect(s.events.filter((e) => e.startsWith('fetch'))).toEqual(['fetch 0', 'fetch 1', 'fetch 2']);
  });
});
