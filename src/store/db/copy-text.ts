/** A value PostgreSQL's COPY reads from one field of a text-format row. */
export type CopyTextValue = string | number | null;

const SPECIAL = /[\\\t\n\r]/;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/**
 * One field of COPY's text format: null as `\N`; a backslash, tab, newline or carriage return escaped
 * with a backslash, so no value can end a field or a row, or read as the null marker or the end of
 * data (`\.`). Numbers are written as JavaScript prints them (negative zero keeping its sign), which
 * PostgreSQL reads back exactly (`NaN` and `Infinity` included, for the float columns).
 */
export function copyTextField(value: CopyTextValue): string {
  if (value === null) return '\\N';
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  return SPECIAL.test(value) ? value.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : value;
}

/** One row of COPY's text format: the fields separated by tabs, ended by a newline. */
export function copyTextRow(values: readonly CopyTextValue[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += '\t';
    line += copyTextField(values[i]!);
  }
  return `${line}\n`;
}
