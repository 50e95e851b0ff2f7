import { describe, expect, it } from 'vitest';
import { parseTimestampMs, toIsoUtc } from './timestamps.js';

describe('toIsoUtc', () => {
  it.each([
    // docs/mde-api.md#vulnerability-rows: TVM export rows, space-separated and zone-less, meaning UTC.
    ['2020-12-30 14:17:26', '2020-12-30T14:17:26.000Z'],
    // docs/mde-api.md#delta-feed: delta eventTimestamp with 7 fractional digits (truncated to milliseconds).
    ['2020-11-03 10:13:34.8476880', '2020-11-03T10:13:34.847Z'],
    // 5: non-CPE softwareLastSeenTimestamp.
    ['2021-01-30 11:31:12.271', '2021-01-30T11:31:12.271Z'],
    // 7: entity APIs, one fractional digit and Z.
    ['2021-01-26T20:33:59.2Z', '2021-01-26T20:33:59.200Z'],
    ['2018-08-02T14:55:03.7791856Z', '2018-08-02T14:55:03.779Z'],
    ['2021-01-25T07:27:36.052313Z', '2021-01-25T07:27:36.052Z'],
    ['2019-12-18T08:02:54Z', '2019-12-18T08:02:54.000Z'],
    // 5: endOfSupportDate with an explicit offset, and the doc's date-only form.
    ['2021-05-11T00:00:00+00:00', '2021-05-11T00:00:00.000Z'],
    ['2020-12-30', '2020-12-30T00:00:00.000Z'],
    // Offsets are applied, across a day and a year boundary.
    ['2021-05-11T01:30:00+02:00', '2021-05-10T23:30:00.000Z'],
    ['2020-12-31T23:00:00-0130', '2021-01-01T00:30:00.000Z'],
    ['2020-12-31T23:00:00-01', '2021-01-01T00:00:00.000Z'],
    // Zone-less ISO with T, lower-case t/z, no seconds, comma decimal, surrounding blanks.
    ['2020-12-30T14:17:26', '2020-12-30T14:17:26.000Z'],
    ['2020-12-30t14:17:26.5z', '2020-12-30T14:17:26.500Z'],
    ['2020-12-30 14:17', '2020-12-30T14:17:00.000Z'],
    ['2020-12-30T14:17:26,25Z', '2020-12-30T14:17:26.250Z'],
    ['  2020-12-30 14:17:26 ', '2020-12-30T14:17:26.000Z'],
    // OData literal form (docs/mde-api.md#machine-filters) and calendar edge cases.
    ['2018-08-01Z', '2018-08-01T00:00:00.000Z'],
    ['2024-02-29 00:00:00', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29', '2000-02-29T00:00:00.000Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['9999-12-31 23:59:59.9999999', '9999-12-31T23:59:59.999Z'],
  ])('%j → %s', (input, expected) => {
    expect(toIsoUtc(input)).toBe(expected);
    expect(parseTimestampMs(input)).toBe(Date.parse(expected));
  });

  it.each([
    [''],
    ['   '],
    ['garbage'],
    ['null'],
    ['2020'],
    ['2020-12'],
    ['20201230'],
    ['1609459200000'],
    ['2020-1-3'],
    ['2020/12/30 14:17:26'],
    ['2020-13-01'],
    ['2020-00-10'],
    ['2020-12-32'],
    ['2021-02-29'],
    ['1900-02-29'],
    ['2020-12-30 24:00:00'],
    ['2020-12-30 14:60:00'],
    ['2020-12-30 14:17:60'],
    ['2020-12-30 14'],
    ['2020-12-30 14:1'],
    ['2020-12-30 14:17:2'],
    ['2020-12-30 14:17:26.'],
    ['2020-12-30 14:17:26.abc'],
    ['2020-12-30T14:17:26 Z'],
    ['2020-12-30T14:17:26ZZ'],
    ['2020-12-30T14:17:26+25:00'],
    ['2020-12-30T14:17:26+01:60'],
    ['2020-12-30T14:17:26+1'],
    ['2020-12-30T14:17:26+01:0'],
    ['2020-12-30T14:17:26 UTC'],
    ['2020-12-30X14:17:26'],
    ['Wed, 30 Dec 2020 14:17:26 GMT'],
    ['0000-01-01T00:00:00+01:00'],
    ['9999-12-31T23:59:59-01:00'],
  ])('rejects %j', (input) => {
    expect(toIsoUtc(input)).toBeNull();
    expect(parseTimestampMs(input)).toBeNull();
  });

  it('reads a zone-less value as UTC whatever the process time zone', () => {
    // Date.parse would read '2020-12-30T14:17:26' as local time (docs/mde-api.md#timestamps).
    expect(parseTimestampMs('2020-12-30 14:17:26')).toBe(Date.UTC(2020, 11, 30, 14, 17, 26));
    expect(parseTimestampMs('2020-12-30T14:17:26')).toBe(Date.UTC(2020, 11, 30, 14, 17, 26));
  });

  it('produces fixed-width strings that sort chronologically as text', () => {
    const inputs = ['2021-01-26T20:33:59.2Z', '2020-12-30 14:17:26', '2021-01-26T20:33:59.19Z', '2020-12-30'];
    const iso = inputs.map((input) => toIsoUtc(input)!);
    expect([...iso].sort()).toEqual([...iso].sort((a, b) => parseTimestampMs(a)! - parseTimestampMs(b)!));
  });
});

describe('toIsoUtc on the 19-character export form', () => {
  /** The same instant with a zero fraction takes the general path: the reference for the short one. */
  const general = (value: string) => toIsoUtc(`${value}.0`);

  it('gives what the general path gives, for valid and invalid values alike', () => {
    let a = 11;
    const rnd = () => {
      a = (Math.imul(a, 1_103_515_245) + 12_345) >>> 0;
      return a / 4_294_967_296;
    };
    const pick = (chars: string) => chars[Math.floor(rnd() * chars.length)]!;
    const digit = () => pick('0123456789');
    let valid = 0;
    for (let i = 0; i < 20_000; i++) {
      // Mostly well-formed digits (some out of range: month 13, Feb 30, hour 24), sometimes a stray character.
      const c = (normal: () => string) => (rnd() < 0.01 ? pick('x :-T+Z') : normal());
      const value =
        `${c(digit)}${c(digit)}${c(digit)}${c(digit)}-${c(() => pick('01'))}${c(digit)}-${c(() => pick('0123'))}${c(digit)}` +
        `${pick(' Tt')}${c(() => pick('012'))}${c(digit)}:${c(() => pick('012345'))}${c(digit)}:${c(() => pick('0123456'))}${c(digit)}`;
      expect(value).toHaveLength(19);
      const expected = value.endsWith(' ') ? null : general(value);
      if (expected !== null) valid++;
      expect(toIsoUtc(value), value).toBe(expected);
    }
    expect(valid).toBeGreaterThan(5000);
  });

  it('keeps the general path for other 19-character forms', () => {
    expect(toIsoUtc('2020-12-30 14:17-00')).toBe('2020-12-30T14:17:00.000Z');
    expect(toIsoUtc('2020-12-30T14:17+01')).toBe('2020-12-30T13:17:00.000Z');
    expect(toIsoUtc(' 2020-12-30 14:17Z ')).toBe('2020-12-30T14:17:00.000Z');
    expect(toIsoUtc('2020-12-30 14:17:26')).toBe('2020-12-30T14:17:26.000Z');
    expect(toIsoUtc('2020-12-30t14:17:26')).toBe('2020-12-30T14:17:26.000Z');
  });
});
