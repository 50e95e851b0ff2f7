/**
 * A date or time in a query, as the span of time it names: a plain date is its whole UTC day, a time
 * to the minute is that minute, to the second that second, with a fraction that millisecond.
 * Comparisons use the span: `=` inside it, `>` after its end, `>=` from its start, `<` before its
 * start, `<=` before its end. So `lastFound>2026-11-01` starts on 2026-11-02 and
 * `lastFound:2026-11-01` is any time that day.
 */
export interface QueryTimeSpan {
  /** First millisecond of the span (epoch ms). */
  start: number;
  /** First millisecond after it. */
  end: number;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;

const MINUTE = 60_000;

/**
 * Reads `YYYY-MM-DD`, or `YYYY-MM-DDThh:mm`, `...:ss` or `...:ss.fff`, each with `Z`, an offset
 * (`+02:00`, `-0530`) or nothing (UTC). Impossible dates and times (2026-02-30, 24:00) give undefined.
 */
export function parseQueryDate(text: string): QueryTimeSpan | undefined {
  const m = DATE_TIME.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, fraction, zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = h === undefined ? 0 : Number(h);
  const minute = mi === undefined ? 0 : Number(mi);
  const second = s === undefined ? 0 : Number(s);
  const ms = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined;
  date.setUTCHours(hour, minute, second, ms);
  let offset = 0;
  if (zone && zone.toUpperCase() !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2));
    if (oh > 23 || om > 59) return undefined;
    offset = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om) * MINUTE;
  }
  const start = date.getTime() - offset;
  const length =
    h === undefined ? 24 * 60 * MINUTE : s === undefined ? MINUTE : fraction === undefined ? 1000 : 1;
  return { start, end: start + length };
}
