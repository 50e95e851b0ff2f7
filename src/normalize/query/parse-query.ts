import { editDistance } from './closest-word.js';
import {
  QUERY_KEYWORDS,
  QUERY_OPERATORS,
  type QueryKeyword,
  type QueryNode,
  type QueryOperator,
  QuerySyntaxError,
} from './query-ast.js';
import { type QueryToken, tokenizeQuery } from './tokenize-query.js';

/** Parentheses and negations nest at most this deep: a query is typed by a person. */
const MAX_DEPTH = 64;

/** Operators people type from other languages, and the one they meant. */
const OPERATOR_LOOKALIKES: Readonly<Record<string, string>> = {
  '=>': '>=',
  '=<': '<=',
  '==': '=',
  '<>': '!=',
  '=!': '!=',
  ':>': '>',
  ':>=': '>=',
  ':<': '<',
  ':<=': '<=',
  ':=': '=',
};

/** Symbols other languages use for AND, OR and NOT. */
const SYMBOL_LOOKALIKES: Readonly<Record<string, QueryKeyword>> = {
  '&&': 'AND',
  '&': 'AND',
  '||': 'OR',
  '|': 'OR',
};

const keywordOf = (t: QueryToken | undefined): QueryKeyword | undefined => {
  if (t?.kind !== 'word') return undefined;
  const upper = t.text.toUpperCase();
  return (QUERY_KEYWORDS as readonly string[]).includes(upper) ? (upper as QueryKeyword) : undefined;
};

/**
 * The keyword an unquoted word seems to be a typo of: one edit away and made only of the keyword's
 * letters. In capitals any such edit counts (`ANDD`, `AN`, `NOO`); in other letter cases only an
 * extra letter or two swapped ones (`andd`, `nott`, `nad`), so ordinary words (`an`, `ann`, `for`,
 * `note`) stay text.
 */
function keywordLookalike(word: string): QueryKeyword | undefined {
  if (!/^[a-z]{2,}$/i.test(word)) return undefined;
  const upper = word.toUpperCase();
  const capitals = word === upper;
  for (const keyword of QUERY_KEYWORDS) {
    if (![...upper].every((ch) => keyword.includes(ch)) || editDistance(upper, keyword) !== 1) continue;
    const inserted = upper.includes(keyword);
    const swapped = [...upper].sort().join('') === [...keyword].sort().join('');
    if (capitals || inserted || swapped) return keyword;
  }
  return undefined;
}

function checkOperator(op: Extract<QueryToken, { kind: 'op' }>, field: string): QueryOperator {
  if ((QUERY_OPERATORS as readonly string[]).includes(op.text)) return op.text as QueryOperator;
  const meant = OPERATOR_LOOKALIKES[op.text];
  if (op.text === '!') {
    throw new QuerySyntaxError(
      `"!" is not an operator: negate a term with NOT or "-", e.g. NOT ${field}:x`,
      op.pos,
    );
  }
  throw new QuerySyntaxError(
    `"${field}${op.text}" has no operator "${op.text}"${meant ? `; did you mean "${field}${meant}"?` : ''} ` +
      `(operators: ${QUERY_OPERATORS.join(' ')})`,
    op.pos,
  );
}

/**
 * Parses a query into a tree. Precedence, from tightest: `NOT` (or `-`), then `AND` (or terms side
 * by side), then `OR`; parentheses group. Keywords match in any letter case.
 *
 *     query   := (or)?
 *     or      := and ("OR" and)*
 *     and     := unary (("AND")? unary)*
 *     unary   := ("NOT" | "-") unary | primary
 *     primary := "(" or ")" | FIELD OPERATOR VALUE | WORD | "QUOTED"
 *
 * Anything that looks like an operator or a keyword but is not one is refused, never searched.
 */
export function parseQuery(source: string): QueryNode {
  const tokens = tokenizeQuery(source);
  let at = 0;
  let depth = 0;
  const peek = () => tokens[at];
  /** The keyword at the current token; a keyword right before an operator is a field name (`not:x`). */
  const keywordHere = () => (tokens[at + 1]?.kind === 'op' ? undefined : keywordOf(peek()));

  /** A term can start here (not a keyword joining terms, not a closing parenthesis, not the end). */
  const termFollows = () => {
    const t = peek();
    if (!t || t.kind === 'rparen') return false;
    const k = keywordHere();
    return k !== 'AND' && k !== 'OR';
  };
  const needTermAfter = (what: string, pos: number) => {
    if (!termFollows()) {
      const t = peek();
      const next = keywordHere();
      throw new QuerySyntaxError(
        `${what} must be followed by a term${next ? `, not ${next}` : t?.kind === 'rparen' ? ', not ")"' : ''}`,
        pos,
      );
    }
  };
  const nest = (pos: number) => {
    if (++depth > MAX_DEPTH) throw new QuerySyntaxError(`nested more than ${MAX_DEPTH} deep`, pos);
  };

  function or(): QueryNode {
    const items = [and()];
    while (keywordHere() === 'OR') {
      const pos = peek()!.pos;
      at++;
      needTermAfter('OR', pos);
      items.push(and());
    }
    return items.length === 1 ? items[0]! : { kind: 'or', items };
  }

  function and(): QueryNode {
    const first = peek();
    if (!first) throw new QuerySyntaxError('the query ends where a term was expected', source.length);
    const k = keywordHere();
    if (k === 'AND' || k === 'OR') throw new QuerySyntaxError(`${k} must come between two terms`, first!.pos);
    const items = [unary()];
    for (;;) {
      const t = peek();
      if (keywordHere() === 'AND') {
        at++;
        needTermAfter('AND', t!.pos);
      } else if (!termFollows()) {
        break;
      }
      items.push(unary());
    }
    return items.length === 1 ? items[0]! : { kind: 'and', items };
  }

  function unary(): QueryNode {
    const t = peek()!;
    if (t.kind === 'minus' || keywordHere() === 'NOT') {
      at++;
      needTermAfter(t.kind === 'minus' ? '"-"' : 'NOT', t.pos);
      nest(t.pos);
      const item = unary();
      depth--;
      return { kind: 'not', item };
    }
    return primary();
  }

  function primary(): QueryNode {
    const t = peek()!;
    at++;
    switch (t.kind) {
      case 'lparen': {
        if (peek()?.kind === 'rparen') throw new QuerySyntaxError('empty parentheses', t.pos);
        nest(t.pos);
        const inner = or();
        depth--;
        if (peek()?.kind !== 'rparen') {
          throw new QuerySyntaxError(`missing ")" for the "(" here`, t.pos);
        }
        at++;
        return inner;
      }
      case 'rparen':
        throw new QuerySyntaxError('unexpected ")"', t.pos);
      case 'op':
        if (t.text === '!')
          throw new QuerySyntaxError('"!" is not an operator: negate a term with NOT or "-"', t.pos);
        throw new QuerySyntaxError(
          `"${t.text}" needs a field name before it, e.g. severity${t.text}high`,
          t.pos,
        );
      case 'value':
        throw new QuerySyntaxError(`unexpected "${t.text}"`, t.pos);
      case 'minus':
        throw new QuerySyntaxError('unexpected "-"', t.pos);
      case 'quoted': {
        if (peek()?.kind === 'op') {
          throw new QuerySyntaxError(
            `a field name is not quoted: write ${t.text}${(peek() as { text: string }).text}...`,
            t.pos,
          );
        }
        return { kind: 'text', value: t.text, position: t.pos };
      }
      case 'word':
        return peek()?.kind === 'op' ? comparison(t) : text(t);
    }
  }

  function comparison(field: Extract<QueryToken, { kind: 'word' }>): QueryNode {
    const opToken = peek() as Extract<QueryToken, { kind: 'op' }>;
    at++;
    const op = checkOperator(opToken, field.text);
    const value = peek();
    if (value?.kind !== 'value') {
      const hint =
        value?.kind === 'lparen'
          ? `; a value cannot be a group: write (${field.text}${op}a OR ${field.text}${op}b)`
          : '';
      throw new QuerySyntaxError(`"${field.text}${op}" needs a value${hint}`, opToken.pos);
    }
    at++;
    if (!value.quoted && /^[:=!<>]/.test(value.text)) {
      const meant = OPERATOR_LOOKALIKES[`${op}${value.text[0]}`];
      throw new QuerySyntaxError(
        `"${field.text}${op} ${value.text}" has a stray "${value.text[0]}"` +
          `${meant ? `; did you mean "${field.text}${meant}"?` : ''} (quote a value that starts with it)`,
        value.pos,
      );
    }
    return { kind: 'field', field: field.text, op, value: value.text, position: field.pos };
  }

  function text(t: Extract<QueryToken, { kind: 'word' }>): QueryNode {
    const symbol = SYMBOL_LOOKALIKES[t.text];
    if (symbol) throw new QuerySyntaxError(`"${t.text}" is not an operator; write ${symbol}`, t.pos);
    if (/^[&|]+$/.test(t.text))
      throw new QuerySyntaxError(`"${t.text}" is not an operator; write AND or OR`, t.pos);
    const keyword = keywordLookalike(t.text);
    if (keyword) {
      throw new QuerySyntaxError(
        `"${t.text}" is not an operator; did you mean ${keyword}? (to search for the text, quote it: "${t.text}")`,
        t.pos,
      );
    }
    return { kind: 'text', value: t.text, position: t.pos };
  }

  if (tokens.length === 0) return { kind: 'and', items: [] };
  const node = or();
  if (at < tokens.length) {
    const t = tokens[at]!;
    throw new QuerySyntaxError(
      t.kind === 'rparen' ? 'unexpected ")": no "(" opens it' : 'unexpected text',
      t.pos,
    );
  }
  return node;
}
