import { describe, expect, it } from 'vitest';
import { datetimeBounds } from './last-seen-bounds.js';

const A = Date.parse('2026-11-23T06:00:00Z');
const B = Date.parse('2026-11-23T08:00:00.5Z');

describe('datetimeBounds', () => {
  it.each([
    ['lastSeen gt 2026-11-23T06:00:00Z', { from: A }],
    ['lastSeen ge 2026-11-23T06:00:00Z and lastSeen le 2026-11-23T08:00:00.5Z', { from: A, to: B + 1 }],
    [
      "(healthStatus eq 'Active') and LastSeen gt 2026-11-23T06:00:00Z and lastSeen lt 2026-11-23T08:00:00.5Z",
      { from: A, to: B + 1 },
    ],
    ['lastSeen eq 2026-11-23T06:00:00Z', { from: A, to: A + 1 }],
  ])('%s', (filter, range) => {
    expect(datetimeBounds(filter, 'lastSeen')).toEqual(range);
  });

  it.each([
    ["healthStatus eq 'Active'"],
    // Under `or` or `not` a comparison bounds nothing.
    ["lastSeen gt 2026-11-23T06:00:00Z or healthStatus eq 'Active'"],
    ['not (lastSeen gt 2026-11-23T06:00:00Z)'],
    ['firstSeen gt 2026-11-23T06:00:00Z'],
    ['this does not parse ('],
  ])('gives no bound for %s', (filter) => {
    expect(datetimeBounds(filter, 'lastSeen')).toBeUndefined();
  });
});
