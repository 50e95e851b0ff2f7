import { type Instant, parseInstant } from './instant.js';
import { invalidFilterClause } from './odata-error.js';

/** Tokens of a `$filter` expression. Keywords (and, eq, not, true, ...) are identifiers here. */
export type Token =
  | { kind: 'identifier'; text: string; pos: number }
  | { kind: 'string'; value: string; text: string; pos: number }
  | { kind: 'number'; value: number; integer: boolean; text: string; pos: number }
  | { kind: 'datetime'; value: Instant; text: string; pos: number }
  | { kind: 'guid'; value: string; text: string; pos: number }
  | { kind: '(' | ')' | ',' | '/' | ':'; text: string; pos: number }
  | { kind: 'end'; text: ''; pos: number };

export type TokenKind = Token['kind'];

// Sticky patterns tried at the current position. A GUID may start with letters or digits and a
// date starts with four digits, so both are tried before numbers and identifiers.
const GUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/iy;
// docs/mde-api.md#machine-filters, #timestamps: unquoted `2018-08-01Z`, `2019-11-22T00:00:00Z`,
// `2021-01-26T20:33:59.2Z`, and offsets such as `+02:00` (which must reach us as %2B, or URL decoding makes
// it a space).
const DATETIME = /\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:\d{2})?/iy;
const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;
const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/y;
const IDENTIFIER_CHAR = /[A-Za-z0-9_.:-]/;
const PUNCTUATION = new Set(['(', ')', ',', '/', ':']);

/** Splits `source` into tokens; always ends with an `end` token. Throws ODataError on bad input. */
export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < source.length) {
    const ch = source[pos]!;
    if (/\s/.test(ch)) {
      pos++;
      continue;
    }
    if (PUNCTUATION.has(ch)) {
      tokens.push({ kind: ch as '(' | ')' | ',' | '/' | ':', text: ch, pos });
      pos++;
      continue;
    }
    if (ch === "'") {
      const token = readString(source, pos);
      tokens.push(token);
      pos += token.text.length;
      continue;
    }
    const token = readWord(source, pos);
    tokens.push(token);
    pos += token.text.length;
  }
  tokens.push({ kind: 'end', text: '', pos: source.length });
  return tokens;
}

/** A single-quoted string; `''` stands for one quote (OData ABNF `SQUOTE-in-string`). */
function readString(source: string, start: number): Token {
  let value = '';
  let pos = start + 1;
  while (pos < source.length) {
    const ch = source[pos]!;
    if (ch === "'") {
      if (source[pos + 1] === "'") {
        value += "'";
        pos += 2;
        continue;
      }
      return { kind: 'string', value, text: source.slice(start, pos + 1), pos: start };
    }
    value += ch;
    pos++;
  }
  throw invalidFilterClause(`There is an unterminated string literal at position ${start} in '${source}'.`);
}

function readWord(source: string, pos: number): Token {
  const guid = matchAt(GUID, source, pos);
  if (guid !== undefined) return { kind: 'guid', value: guid.toLowerCase(), text: guid, pos };
  const datetime = matchAt(DATETIME, source, pos);
  if (datetime !== undefined) {
    const value = parseInstant(datetime);
    if (!value) {
      throw invalidFilterClause(
        `Unrecognized 'Edm.DateTimeOffset' literal '${datetime}' at '${pos}' in '${source}'.`,
      );
    }
    return { kind: 'datetime', value, text: datetime, pos };
  }
  const number = matchAt(NUMBER, source, pos);
  if (number !== undefined) {
    const value = Number(number);
    if (!Number.isFinite(value)) {
      throw invalidFilterClause(`Unrecognized 'Edm.Double' literal '${number}' at '${pos}' in '${source}'.`);
    }
    return { kind: 'number', value, integer: Number.isSafeInteger(value), text: number, pos };
  }
  const identifier = matchAt(IDENTIFIER, source, pos);
  if (identifier !== undefined) return { kind: 'identifier', text: identifier, pos };
  throw invalidFilterClause(
    `Syntax error: character '${source[pos]}' is not valid at position ${pos} in '${source}'.`,
  );
}

/**
 * The match of a sticky pattern at `pos`, if it ends on a token boundary: `1e5bc9...` (an unquoted
 * machine id) must not lex as the number `1e5` followed by an identifier.
 */
function matchAt(pattern: RegExp, source: string, pos: number): string | undefined {
  pattern.lastIndex = pos;
  const m = pattern.exec(source);
  if (!m) return undefined;
  const next = source[pos + m[0].length];
  if (next !== undefined && IDENTIFIER_CHAR.test(next)) {
    if (pattern === IDENTIFIER) return m[0];
    throw invalidFilterClause(`Syntax error at position ${pos + m[0].length} in '${source}'.`);
  }
  return m[0];
}
