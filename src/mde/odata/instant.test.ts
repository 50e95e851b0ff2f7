import { describe, expect, it } from 'vitest';
import { compareInstants, parseInstant } from './instant.js';

describe('parseInstant', () => {
  it.each([
    // docs/mde-api.md#machine-filters, #timestamps forms
    ['2018-08-01Z', Date.UTC(2018, 7, 1), 0],
    ['2018-08-01', Date.UTC(2018, 7, 1), 0],
    ['2019-11-22T00:00:00Z', Date.UTC(2019, 10, 22), 0],
    ['2021-01-26T20:33:59.2Z', Date.UTC(2021, 0, 26, 20, 33, 59, 200), 0],
    ['2018-08-02T14:55:03.7791856Z', Date.UTC(2018, 7, 2, 14, 55, 3, 779), 1856],
    ['2018-08-02T14:55:03.77918569999Z', Date.UTC(2018, 7, 2, 14, 55, 3, 779), 1856],
    ['2019-11-22T02:00:00+02:00', Date.UTC(2019, 10, 22), 0],
    ['2019-11-21T19:00:00-05:00', Date.UTC(2019, 10, 22), 0],
    ['2019-11-22T00:00', Date.UTC(2019, 10, 22), 0],
    ['2020-12-30 14:17:26', Date.UTC(2020, 11, 30, 14, 17, 26), 0],
    ['2021-05-11T00:00:00+00:00', Date.UTC(2021, 4, 11), 0],
    ['2024-02-29Z', Date.UTC(2024, 1, 29), 0],
  ])('%s', (text, ms, ticks) => {
    expect(parseInstant(text)).toEqual({ ms, ticks });
  });

  it.each([
    '2018-13-01Z',
    '2018-02-30Z',
    '2023-02-29Z',
    '2018-08-01T24:00:00Z',
    '2018-08-01T10:60:00Z',
    '2018-08-01T10:00:00+15:00',
    '2018-8-1',
    'yesterday',
    '',
  ])('rejects %s', (text) => {
    expect(parseInstant(text)).toBeUndefined();
  });

  it('orders by sub-millisecond ticks', () => {
    const a = parseInstant('2021-01-26T20:33:59.2000001Z')!;
    const b = parseInstant('2021-01-26T20:33:59.2Z')!;
    expect(compareInstants(a, b)).toBeGreaterThan(0);
    expect(compareInstants(b, a)).toBeLessThan(0);
    expect(compareInstants(b, parseInstant('2021-01-26T20:33:59.200Z')!)).toBe(0);
  });
});
