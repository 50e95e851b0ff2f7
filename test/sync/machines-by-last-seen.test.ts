import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastSeenWindowPages } from '../../src/sync/streams/machines-by-last-seen.js';
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
