/**
 * Instants with MDE's precision. Entity timestamps carry up to seven fractional digits
 * (`2018-08-02T14:55:03.7791856Z`, docs/mde-api.md#timestamps), finer than a JS Date, so an instant keeps the
 * sub-millisecond part separately; a watermark like `lastUpdateTime ge <max seen>` must not
 * round away the row it came from.
 */
export interface Instant {
  /** Milliseconds since the Unix epoch, UTC. */
  readonly ms: number;
  /** The rest below one millisecond, in 100 ns ticks (0..9999). */
  readonly ticks: number;
}

// Date, optional time, optional zone. A space instead of `T` is accepted for the TVM export format
// (docs/mde-api.md#vulnerability-rows); a missing zone means UTC, as everywhere in MDE.
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|z|[+-]\d{2}:?\d{2})?$/;

export function parseInstant(text: string): Instant | undefined {
  const m = ISO_INSTANT.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((p) =>
    p === undefined ? 0 : Number(p),
  ) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const fraction = `${m[7] ?? ''}0000000`.slice(0, 7);
  const offsetMinutes = parseOffset(m[8]);
  if (offsetMinutes === undefined) return undefined;
  const date = new Date(0);
  // setUTCFullYear rather than Date.UTC: Date.UTC maps years 0..99 to 1900..1999.
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, Number(fraction.slice(0, 3)));
  return { ms: date.getTime() - offsetMinutes * 60_000, ticks: Number(fraction.slice(3)) };
}

export function compareInstants(a: Instant, b: Instant): number {
  return a.ms !== b.ms ? a.ms - b.ms : a.ticks - b.ticks;
}

function parseOffset(zone: string | undefined): number | undefined {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2));
  if (hours > 14 || minutes > 59) return undefined;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}
