import { describe, expect, it } from 'vitest';
import { PlannerStatistics } from '../../src/store/findings/postgres-snapshot-writer.js';

describe('when the findings statistics are brought up to date during a load', () => {
  it('after the first ten thousand rows, then at each doubling of the rows inserted', () => {
    const stats = new PlannerStatistics();
    const analysedAt: number[] = [];
    let total = 0;
    for (let batch = 0; batch < 100; batch++) {
      if (stats.stale()) {
        analysedAt.push(total);
        stats.analyzed();
      }
      stats.inserted(5_000);
      total += 5_000;
    }
    expect(analysedAt).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 320_000]);
  });

  it('never when nothing is inserted (a re-read of the same snapshot)', () => {
    const stats = new PlannerStatistics();
    for (let batch = 0; batch < 10; batch++) {
      expect(stats.stale()).toBe(false);
      stats.inserted(0);
    }
  });
});
