import { describe, expect, it } from 'vitest';
import { windowFilter } from './machines-by-last-seen.js';
import {
  deviceScope,
  LAST_SEEN_OVERLAP_MS,
  type MachinesWatermark,
  planMachinesRead,
} from './machines-read-plan.js';

const H = 3_600_000;
const T = Date.parse('2026-11-23T12:00:00.000Z');
const scope = deviceScope({ tags: [], staleDays: 0 });
const swept: MachinesWatermark = {
  sweepRunId: 7,
  sweepAt: new Date(T - 10 * H).toISOString(),
  readAt: new Date(T - 4 * H).toISOString(),
  scope,
};

describe('planMachinesRead', () => {
  it.each([
    ['a full sync', { mode: 'full' as const, watermark: swept }, /full sync/],
    ['no sweep yet', { mode: 'delta' as const, watermark: undefined }, /no complete device sweep/],
    ['sweep every run', { mode: 'delta' as const, watermark: swept, sweepHours: 0 }, /every run/],
    ['the sweep is due', { mode: 'delta' as const, watermark: swept, sweepHours: 10 }, /10 or more hours/],
    [
      'the scope changed',
      { mode: 'delta' as const, watermark: swept, scope: deviceScope({ tags: ['x'], staleDays: 0 }) },
      /filter or tags changed/,
    ],
  ])('sweeps every device: %s', (_, input, reason) => {
    const plan = planMachinesRead({ sweepHours: 24, scope, now: T, ...input });
    expect(plan.kind).toBe('sweep');
    expect(plan.kind === 'sweep' && plan.reason).toMatch(reason);
  });

  it('between sweeps reads devices whose lastSeen moved since the last read, less the overlap', () => {
    const plan = planMachinesRead({ mode: 'delta', watermark: swept, sweepHours: 24, scope, now: T });
    expect(plan).toEqual({
      kind: 'changed',
      since: new Date(T - 4 * H - LAST_SEEN_OVERLAP_MS).toISOString(),
      sweepRunId: 7,
      nextSweepAt: new Date(T + 14 * H).toISOString(),
    });
  });

  it('a scope is the same whatever the order of the tags', () => {
    expect(deviceScope({ tags: ['a', 'b'], staleDays: 3 })).toBe(
      deviceScope({ tags: ['b', 'a'], staleDays: 3 }),
    );
    expect(deviceScope({ tags: [], staleDays: 3 })).not.toBe(deviceScope({ tags: [], staleDays: 4 }));
  });
});

describe('windowFilter', () => {
  const a = Date.parse('2026-11-23T06:00:00.000Z');
  const b = Date.parse('2026-11-23T08:00:00.000Z');
  it('is a half-open lastSeen window, with the connector filter kept whole', () => {
    expect(windowFilter(a, b, undefined)).toBe(
      'lastSeen gt 2026-11-23T06:00:00.000Z and lastSeen le 2026-11-23T08:00:00.000Z',
    );
    expect(windowFilter(a, b, "healthStatus eq 'Active' or riskScore eq 'High'")).toBe(
      "(healthStatus eq 'Active' or riskScore eq 'High') and lastSeen gt 2026-11-23T06:00:00.000Z and lastSeen le 2026-11-23T08:00:00.000Z",
    );
  });
});
