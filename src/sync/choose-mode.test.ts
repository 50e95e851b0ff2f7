import { describe, expect, it } from 'vitest';
import { parseConnectorOptions } from '../normalize/connector-options.js';
import { chooseMode } from './choose-mode.js';

const options = parseConnectorOptions({ fullSyncEveryDays: 7, deltaOverlapHours: 6 });
const NOW = Date.parse('2026-11-20T00:00:00Z');
const days = (n: number) => new Date(NOW - n * 86_400_000).toISOString();

describe('chooseMode (fulls on a cadence, deltas between)', () => {
  it.each([
    ['full when asked', 'full', { time: days(1), lastFullAt: days(1) }, false, 'full'],
    ['full on the first sync', 'auto', undefined, false, 'full'],
    ['full when a delta is asked for but nothing to start from', 'delta', undefined, false, 'full'],
    ['full to resume an interrupted full pass', 'auto', { time: days(1), lastFullAt: days(1) }, true, 'full'],
    ['delta when the last full is recent', 'auto', { time: days(1), lastFullAt: days(2) }, false, 'delta'],
    ['full when the cadence is due', 'auto', { time: days(1), lastFullAt: days(7) }, false, 'full'],
    [
      'full when the change feed cannot reach back (14 days)',
      'delta',
      { time: days(14), lastFullAt: days(14) },
      false,
      'full',
    ],
    ['delta when asked and possible', 'delta', { time: days(3), lastFullAt: days(10) }, false, 'delta'],
  ] as const)('%s', (_name, requested, watermark, interrupted, expected) => {
    expect(
      chooseMode({
        requested,
        options,
        watermark: watermark ? { ...watermark } : undefined,
        interruptedFullPass: interrupted,
        now: NOW,
      }).mode,
    ).toBe(expected);
  });
});
