import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstWindowSpan, lastSeenWindowPages } from '../../src/sync/streams/machines-by-last-seen.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { createKit, type Kit } from '../mde/mde-test-kit.js';

describe('devices read by windows of lastSeen', () => {
  let sim: TestSimulator;
  let kit: Kit;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 1500, seed: 31 });
    kit = await createKit(sim);
  });
  afterAll(async () => {
    await kit?.close();
    await sim?.close();
  });

  it('returns each device whose lastSeen is in the range exactly once, in small single-page windows', async () => {
    const toMs = kit.clock.now();
    const fromMs = toMs - 30 * 3_600_000;
    const pageSize = 100;
    const ids: string[] = [];
    const before = kit.client.stats.apiCalls;
    for await (const page of lastSeenWindowPages(kit.client, { fromMs, toMs, pageSize })) {
      expect(page.length).toBeLessThanOrEqual(pageSize);
      for (const r of page) ids.push(String((r as { id: string }).id));
    }
    const calls = kit.client.stats.apiCalls - before;
    const expected = (await sim.truthRows('machines'))
      .filter((m) => {
        const seen = Date.parse(String(m.lastSeen));
        return seen > fromMs && seen <= toMs;
      })
      .map((m) => String(m.id))
      .sort();
    expect(expected.length).toBeGreaterThan(5 * pageSize);
    expect(ids.length).toBe(new Set(ids).size);
    expect(ids.sort()).toEqual(expected);
    // Windows are sized from the density seen: a few dropped full pages, not one call per device.
    expect(calls).toBeLessThan((expected.length / pageSize) * 3 + 10);
  });

  it('a first window sized from the device count reads the same devices in about half-full pages', async () => {
    const toMs = kit.clock.now();
    const fromMs = toMs - 30 * 3_600_000;
    const pageSize = 100;
    const read = async (firstSpanMs?: number) => {
      const before = kit.client.stats.apiCalls;
      const ids: string[] = [];
      const options = { fromMs, toMs, pageSize, ...(firstSpanMs ? { firstSpanMs } : {}) };
      for await (const page of lastSeenWindowPages(kit.client, options))
        for (const r of page) ids.push(String((r as { id: string }).id));
      return { ids: ids.sort(), calls: kit.client.stats.apiCalls - before };
    };
    const plain = await read();
    const sized = await read(firstWindowSpan((await sim.truthRows('machines')).length, pageSize));
    expect(sized.ids).toEqual(plain.ids);
    // Devices that stopped reporting make the range sparser than a daily report predicts: the windows
    // widen as they go, so the calls stay near one per half page of devices.
    expect(sized.calls).toBeLessThanOrEqual(Math.ceil(sized.ids.length / (pageSize / 2)) + 5);
  });

  it('keeps the connector filter', async () => {
    const toMs = kit.clock.now();
    const fromMs = toMs - 30 * 3_600_000;
    const ids: string[] = [];
    const filter = "healthStatus eq 'Active'";
    for await (const page of lastSeenWindowPages(kit.client, { fromMs, toMs, pageSize: 200, filter })) {
      for (const r of page) ids.push(String((r as { id: string }).id));
    }
    const expected = (await sim.truthRows('machines'))
      .filter((m) => {
        const seen = Date.parse(String(m.lastSeen));
        return m.healthStatus === 'Active' && seen > fromMs && seen <= toMs;
      })
      .map((m) => String(m.id))
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(ids.sort()).toEqual(expected);
  });
});
