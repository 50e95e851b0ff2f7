/**
 * The timestamp spellings MDE uses (docs/mde-api.md#timestamps): entity APIs give ISO-8601 with `Z` and up to
 * seven fractional digits (trailing zeros trimmed, as .NET prints them); TVM export rows give
 * "YYYY-MM-DD HH:MM:SS" with no `T` and no zone, sometimes with a fraction.
 */

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;
export const MINUTE_MS = 60_000;

function isoMs(ms: number): string {
  return new Date(ms).toISOString();
}

/** "YYYY-MM-DD HH:MM:SS" (TVM rows). */
export function tvmTime(ms: number): string {
  const s = isoMs(ms);
  return `${s.slice(0, 10)} ${s.slice(11, 19)}`;
}

/** "YYYY-MM-DD HH:MM:SS.fff" (non-CPE softwareLastSeenTimestamp, docs/mde-api.md#installed-software). */
export function tvmTimeMillis(ms: number): string {
  const s = isoMs(ms);
  return `${s.slice(0, 10)} ${s.slice(11, 23)}`;
}

/**
 * "YYYY-MM-DD HH:MM:SS.fffffff" (delta eventTimestamp, docs/mde-api.md#delta-feed); subTicks are 100 ns
 * units.
 */
export function tvmTime7(ms: number, subTicks: number): string {
  const s = isoMs(ms);
  return `${s.slice(0, 10)} ${s.slice(11, 23)}${String(subTicks % 10_000).padStart(4, '0')}`;
}

/** ISO-8601 with `Z` and 7 fractional digits, trailing zeros trimmed ("2021-01-26T20:33:59.2Z"). */
export function isoTime7(ms: number, subTicks: number): string {
  const s = isoMs(ms);
  const fraction = `${s.slice(20, 23)}${String(subTicks % 10_000).padStart(4, '0')}`.replace(/0+$/, '');
  return fraction === '' ? `${s.slice(0, 19)}Z` : `${s.slice(0, 19)}.${fraction}Z`;
}

/** ISO-8601 without a fraction ("2019-12-10T00:00:00Z"), as in the CVE catalog samples. */
export function isoSeconds(ms: number): string {
  return `${isoMs(ms).slice(0, 19)}Z`;
}

/** endOfSupportDate style: midnight with an explicit offset ("2021-05-11T00:00:00+00:00"). */
export function isoDateOffset(ms: number): string {
  return `${isoMs(ms).slice(0, 10)}T00:00:00+00:00`;
}

/** Midnight UTC of the day holding `ms`. */
export function startOfDay(ms: number): number {
  return ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

/** "March 2020" style label of Microsoft's monthly security update (docs/mde-api.md#machines sample). */
export function monthYear(ms: number): string {
  const d = new Date(ms);
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

export function utcYear(ms: number): number {
  return new Date(ms).getUTCFullYear();
}
