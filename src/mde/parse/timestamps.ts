/**
 * Tolerant MDE timestamp parsing. MDE mixes three formats (docs/mde-api.md#timestamps):
 * TVM export rows `2020-12-30 14:17:26[.fffffff]` (no `T`, no zone), entity APIs
 * `2021-01-26T20:33:59.2Z` (up to 7 fractional digits) and `2021-05-11T00:00:00+00:00`.
 *
 * Hand-written on purpose: it runs on millions of export rows, and `Date.parse` reads a zone-less
 * date-time as *local* time, whereas MDE means UTC.
 */

/** The components of a parsed timestamp, before any zone offset is applied. */
interface TimestampParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  /** Minutes east of UTC; 0 when the value had `Z` or no zone at all. */
  offsetMinutes: number;
}

const MS_PER_DAY = 86_400_000;

/** Reads `count` decimal digits at `at`; -1 when any of them is not a digit. */
function digits(s: string, at: number, count: number): number {
  let n = 0;
  for (let i = at; i < at + count; i++) {
    const d = s.charCodeAt(i) - 48;
    // Written so that NaN (reading past the end) also fails.
    if (!(d >= 0 && d <= 9)) return -1;
    n = n * 10 + d;
  }
  return n;
}

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Parses the zone suffix starting at `i` (`Z`, `+HH:MM`, `+HHMM`, `+HH`); null when malformed. */
function parseZone(s: string, i: number): number | null {
  const c = s.charCodeAt(i);
  if (c === 90 /* Z */ || c === 122 /* z */) return i + 1 === s.length ? 0 : null;
  if (c !== 43 /* + */ && c !== 45 /* - */) return null;
  const sign = c === 43 ? 1 : -1;
  const rest = s.length - i - 1;
  const hh = digits(s, i + 1, 2);
  let mm: number;
  if (rest === 2) mm = 0;
  else if (rest === 4) mm = digits(s, i + 3, 2);
  else if (rest === 5 && s.charCodeAt(i + 3) === 58 /* : */) mm = digits(s, i + 4, 2);
  else return null;
  if (hh < 0 || hh > 23 || mm < 0 || mm > 59) return null;
  return sign * (hh * 60 + mm);
}

/** Splits a timestamp into validated parts; null for anything that is not a real calendar instant. */
function parseParts(raw: string): TimestampParts | null {
  const s =
    raw.length > 0 && (raw.charCodeAt(0) <= 32 || raw.charCodeAt(raw.length - 1) <= 32) ? raw.trim() : raw;
  if (s.length < 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return null;
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  const parts: TimestampParts = {
    year,
    month,
    day,
    hour: 0,
    minute: 0,
    second: 0,
    millisecond: 0,
    offsetMinutes: 0,
  };
  if (s.length === 10) return parts;
  let i = 10;
  const sep = s.charCodeAt(i);
  if (sep !== 84 /* T */ && sep !== 116 /* t */ && sep !== 32 /* space */) {
    // A bare date with a zone, as in OData literals such as `2018-08-01Z` (docs/mde-api.md#machine-filters).
    const offset = parseZone(s, i);
    if (offset === null) return null;
    parts.offsetMinutes = offset;
    return parts;
  }
  i++;
  if (s.length < i + 5 || s.charCodeAt(i + 2) !== 58) return null;
  parts.hour = digits(s, i, 2);
  parts.minute = digits(s, i + 3, 2);
  if (parts.hour < 0 || parts.hour > 23 || parts.minute < 0 || parts.minute > 59) return null;
  i += 5;
  if (i < s.length && s.charCodeAt(i) === 58) {
    parts.second = digits(s, i + 1, 2);
    if (parts.second < 0 || parts.second > 59) return null;
    i += 3;
    const dot = s.charCodeAt(i);
    if (dot === 46 /* . */ || dot === 44 /* , */) {
      // Up to 7 digits (.NET ticks) on the wire; keep milliseconds, truncated (never rounded up).
      let n = 0;
      let count = 0;
      i++;
      for (; i < s.length; i++) {
        const d = s.charCodeAt(i) - 48;
        if (!(d >= 0 && d <= 9)) break;
        if (count < 3) n = n * 10 + d;
        count++;
      }
      if (count === 0) return null;
      parts.millisecond = count === 1 ? n * 100 : count === 2 ? n * 10 : n;
    }
  }
  if (i === s.length) return parts;
  const offset = parseZone(s, i);
  if (offset === null) return null;
  parts.offsetMinutes = offset;
  return parts;
}

function epochMs(p: TimestampParts): number {
  return (
    daysFromCivil(p.year, p.month, p.day) * MS_PER_DAY +
    p.hour * 3_600_000 +
    p.minute * 60_000 +
    p.second * 1000 +
    p.millisecond -
    p.offsetMinutes * 60_000
  );
}

/** Bounds of the fixed-width `YYYY-MM-DDTHH:MM:SS.sssZ` form (years 0000 to 9999). */
const MIN_ISO_MS = daysFromCivil(0, 1, 1) * MS_PER_DAY;
const MAX_ISO_MS = daysFromCivil(10_000, 1, 1) * MS_PER_DAY - 1;

function pad(n: number, width: number): string {
  return n.toString().padStart(width, '0');
}

/**
 * Parses an MDE timestamp to epoch milliseconds (UTC).
 *
 * Accepts `YYYY-MM-DD`, optionally followed by `T`, `t` or a space and `HH:MM[:SS[.fraction]]`, and an
 * optional zone `Z`, `±HH:MM`, `±HHMM` or `±HH`. A value without a zone is UTC (docs/mde-api.md#timestamps).
 * Fractions beyond milliseconds are truncated. Instants outside the years 0000 to 9999 UTC (reachable
 * only through an offset) are rejected, as by {@link toIsoUtc}.
 *
 * @returns epoch milliseconds, or null when the value is not a valid timestamp.
 */
export function parseTimestampMs(value: string): number | null {
  const parts = parseParts(value);
  if (parts === null) return null;
  const ms = epochMs(parts);
  return ms < MIN_ISO_MS || ms > MAX_ISO_MS ? null : ms;
}

/**
 * Normalises an MDE timestamp to an ISO-8601 UTC string with millisecond precision, e.g.
 * `2020-12-30 14:17:26` → `2020-12-30T14:17:26.000Z`. The output always has the same width, so these
 * strings sort and compare chronologically as plain text.
 *
 * @returns the ISO string, or null when the value is not a valid timestamp.
 */
export function toIsoUtc(value: string): string | null {
  const p = parseParts(value);
  if (p === null) return null;
  if (
    value.length === 19 &&
    value.charCodeAt(16) === 58 /* : */ &&
    value.charCodeAt(0) > 32 &&
    value.charCodeAt(18) > 32
  ) {
    // The export rows' `YYYY-MM-DD HH:MM:SS` (docs/mde-api.md#timestamps), untrimmed and valid: the output's
    // digits are the input's, so two slices replace seven number-to-text conversions
    // (docs/benchmarks.md#targets).
    return `${value.slice(0, 10)}T${value.slice(11)}.000Z`;
  }
  if (p.offsetMinutes === 0) {
    // Fast path for the zone-less export rows: no Date object, just re-assemble the validated parts.
    return (
      `${pad(p.year, 4)}-${pad(p.month, 2)}-${pad(p.day, 2)}T` +
      `${pad(p.hour, 2)}:${pad(p.minute, 2)}:${pad(p.second, 2)}.${pad(p.millisecond, 3)}Z`
    );
  }
  const ms = epochMs(p);
  // An offset can push year 0000 or 9999 outside the fixed-width form; reject rather than emit `+010000`.
  if (ms < MIN_ISO_MS || ms > MAX_ISO_MS) return null;
  return new Date(ms).toISOString();
}
