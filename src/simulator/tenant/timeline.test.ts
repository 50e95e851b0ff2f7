import { describe, expect, it } from 'vitest';
import { SNAPSHOT_MS } from './simulated-tenant.js';
import {
  EvenSchedule,
  eventAt,
  eventsUpTo,
  lastEventAt,
  snapshotEpochAt,
  snapshotTimeMs,
} from './timeline.js';

describe('timeline', () => {
  const origin = Date.parse('2026-11-01T00:00:00Z');

  it('numbers 6-hour snapshot windows from the origin and clamps before it', () => {
    expect(snapshotEpochAt(origin, origin - 1)).toBe(0);
    expect(snapshotEpochAt(origin, origin)).toBe(0);
    expect(snapshotEpochAt(origin, origin + SNAPSHOT_MS - 1)).toBe(0);
    expect(snapshotEpochAt(origin, origin + SNAPSHOT_MS)).toBe(1);
    expect(snapshotTimeMs(origin, 3)).toBe(origin + 3 * SNAPSHOT_MS);
  });

  it('EvenSchedule counts exactly the items whose time has come', () => {
    for (const [period, per] of [
      [SNAPSHOT_MS, 1],
      [SNAPSHOT_MS, 7],
      [1000, 3],
      [30 * 86_400_000, 20_000],
    ] as const) {
      const s = new EvenSchedule(origin, period, per);
      for (let k = 0; k < 50; k++) {
        const t = s.timeOf(k);
        expect(s.countAt(t)).toBe(k + 1);
        expect(s.countAt(t - 1)).toBeLessThanOrEqual(k);
      }
      expect(s.countAt(origin - 1)).toBe(0);
      expect(s.countAt(origin + period - 1)).toBe(per);
    }
  });

  it('eventsUpTo, eventAt and lastEventAt agree', () => {
    for (const period of [1, 3, 17]) {
      let count = 0;
      let last = 0;
      for (let e = 0; e < 200; e++) {
        if (eventAt(e, period, 99, 5, 6)) {
          count++;
          last = e;
        }
        expect(eventsUpTo(e, period, 99, 5, 6)).toBe(count);
        expect(lastEventAt(e, period, 99, 5, 6)).toBe(last);
      }
      expect(count).toBe(
        Math.floor(199 / period) + (eventsUpTo(199, period, 99, 5, 6) - Math.floor(199 / period)),
      );
      expect(eventAt(0, period, 99, 5, 6)).toBe(false);
    }
  });
});
