import { type QueryNode, type QueryOperator, QuerySyntaxError } from './query-ast.js';

type Token =
  | { kind: 'word'; text: string; quoted: boolean; pos: number }
  | { kind: 'op'; op: QueryOperator; pos: number }
  | { kind: 'lparen'; pos: number }
  | { kind: 'rparen'; pos: number }
  | { kind: 'minus'; pos: number };

const OPERATORS: QueryOperator[] = ['>=', '<=', '!=', ':', '=', '>', '<'];

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push(c === '(' ? { kind: 'lparen', pos: i } : { kind: 'rparen', pos: i });
      i++;
    } else if (c === '"') {
      const start = i;
      let text = '';
      i++;
      while (i < source.length && source[i] !== '"') {
        if (source[i] === '\\' && i + 1 < source.length) i++;
        text += source[i];
        i++;
      }
      if (i >= source.length) throw new QuerySyntaxError('unterminated quoted text', start);
      i++;
      tokens.push({ kind: 'word', text, quoted: true, pos: start });
    } else {
      const op = OPERATORS.find((o) => source.startsWith(o, i));
      if (op) {
        tokens.push({ kind: 'op', op, pos: i });
        i += op.length;
      } else if (c === '-' && (tokens.length === 0 || tokens[tokens.length - 1]!.kind !== 'op')) {
        tokens.push({ kind: 'minus', pos: i });
        i++;
      } else {
        const start = i;
        while (i < source.length && !/[\s()":=!<>]/.test(source[i]!)) i++;
        tokens.push({ kind: 'word', text: source.slice(start, i), quoted: false, pos: start });
      }
    }
  }
  return tokens;
}

/**
 * A recursive-descent parser: terms side by side are ANDed, `OR` between them ORs, `-` negates,
 * parentheses group, `field op value` compares and a bare or quoted word searches text.
 *
 * query := or ; or := and ("OR" and)* ; and := unary+ ; unary := "-" unary | primary
 * primary := "(" or ")" | word op word | word
 */
export function parseQuery(source: string): QueryNode {
  const tokens = tokenize(source);
  let at = 0;
  const peek = () => tokens[at];
  const isOr = (t: Token | undefined) => t?.kind === 'word' && !t.quoted && t.text === 'OR';

  function or(): QueryNode {
    const items = [and()];
    while (isOr(peek())) {
      at++;
      items.push(and());
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }
  function and(): QueryNode {
    const items: QueryNode[] = [];
    while (at < tokens.length && peek()!.kind !== 'rparen' && !isOr(peek())) items.push(unary());
    if (items.length === 0) {
      const t = peek();
      throw new QuerySyntaxError(
        t ? 'expected a term' : 'the query ends where a term was expected',
        t?.pos ?? source.length,
      );
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }
  function unary(): QueryNode {
    const t = peek()!;
    if (t.kind === 'minus') {
      at++;
      if (at >= tokens.length) throw new QuerySyntaxError('"-" must be followed by a term', t.pos);
      return { kind: 'not', item: unary() };
    }
    return primary();
  }
  function primary(): QueryNode {
    const t = peek()!;
    if (t.kind === 'lparen') {
      at++;
      const inner = or();
      if (peek()?.kind !== 'rparen') throw new QuerySyntaxError('missing ")"', t.pos);
      at++;
      return inner;
    }
    if (t.kind === 'op') throw new QuerySyntaxError(`"${t.op}" needs a field name before it`, t.pos);
    if (t.kind === 'rparen') throw new QuerySyntaxError('unexpected ")"', t.pos);
    if (t.kind === 'minus') throw new QuerySyntaxError('unexpected "-"', t.pos);
    at++;
    const next = peek();
    if (next?.kind === 'op' && !t.quoted) {
      at++;
      const value = peek();
      if (value?.kind !== 'word') {
        throw new QuerySyntaxError(`"${t.text}${next.op}" needs a value`, next.pos);
      }
      at++;
      return { kind: 'field', field: t.text, op: next.op, value: value.text, position: t.pos };
    }
    return { kind: 'text', value: t.text, position: t.pos };
  }

  if (tokens.length === 0) return { kind: 'and', items: [] };
  const node = or();
  if (at < tokens.length) throw new QuerySyntaxError('unexpected ")"', tokens[at]!.pos);
  return node;
}
