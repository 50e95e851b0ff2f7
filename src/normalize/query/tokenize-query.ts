import { QuerySyntaxError } from './query-ast.js';

export type QueryToken =
  /** An unquoted word: a keyword, a field name or text to search. */
  | { kind: 'word'; text: string; pos: number }
  /** A `"quoted"` text, searched as written (keywords and operators lose their meaning inside). */
  | { kind: 'quoted'; text: string; pos: number }
  /** A run of operator characters (`:`, `=`, `!`, `<`, `>`), checked by the parser. */
  | { kind: 'op'; text: string; pos: number }
  /** What follows an operator, read up to whitespace or a parenthesis; `quoted` when in quotes. */
  | { kind: 'value'; text: string; quoted: boolean; pos: number }
  | { kind: 'lparen'; pos: number }
  | { kind: 'rparen'; pos: number }
  /** `-` in front of a term: negation. */
  | { kind: 'minus'; pos: number };

const OPERATOR_CHARS = /[:=!<>]/;
const WORD_END = /[\s()":=!<>]/;
const VALUE_END = /[\s()"]/;

/** Reads `"..."` starting at `start`; a backslash keeps the next character as it is. */
function readQuoted(source: string, start: number): { text: string; end: number } {
  let text = '';
  let i = start + 1;
  while (i < source.length && source[i] !== '"') {
    if (source[i] === '\\' && i + 1 < source.length) i++;
    text += source[i];
    i++;
  }
  if (i >= source.length) throw new QuerySyntaxError('unterminated quoted text: add the closing "', start);
  return { text, end: i + 1 };
}

/**
 * Splits a query into tokens. A value is read right after its operator (spaces between are allowed)
 * up to whitespace or a parenthesis, so timestamps, IPv6 and MAC addresses keep their colons.
 */
export function tokenizeQuery(source: string): QueryToken[] {
  const tokens: QueryToken[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push({ kind: c === '(' ? 'lparen' : 'rparen', pos: i });
      i++;
    } else if (c === '"') {
      const { text, end } = readQuoted(source, i);
      tokens.push({ kind: 'quoted', text, pos: i });
      i = end;
    } else if (c === '-') {
      tokens.push({ kind: 'minus', pos: i });
      i++;
    } else if (OPERATOR_CHARS.test(c)) {
      const start = i;
      while (i < source.length && OPERATOR_CHARS.test(source[i]!)) i++;
      tokens.push({ kind: 'op', text: source.slice(start, i), pos: start });
      while (i < source.length && /\s/.test(source[i]!)) i++;
      if (source[i] === '"') {
        const { text, end } = readQuoted(source, i);
        tokens.push({ kind: 'value', text, quoted: true, pos: i });
        i = end;
      } else if (i < source.length && !VALUE_END.test(source[i]!)) {
        const valueStart = i;
        while (i < source.length && !VALUE_END.test(source[i]!)) i++;
        tokens.push({ kind: 'value', text: source.slice(valueStart, i), quoted: false, pos: valueStart });
      }
    } else {
      const start = i;
      while (i < source.length && !WORD_END.test(source[i]!)) i++;
      tokens.push({ kind: 'word', text: source.slice(start, i), pos: start });
    }
  }
  return tokens;
}
