import {
  COMPARISON_OPERATORS,
  type ComparisonOperator,
  type FilterNode,
  LAMBDA_OPERATORS,
} from './filter-ast.js';
import { type Token, type TokenKind, tokenize } from './filter-lexer.js';
import { invalidFilterClause } from './odata-error.js';

/**
 * Recursive-descent parser for the `$filter` subset MDE uses (docs/mde-api.md#machine-filters). Grammar,
 * loosest binding first, with OData's precedence (`not` binds tighter than comparisons, as in the spec):
 *
 *   or      := and ('or' and)*
 *   and     := compare ('and' compare)*
 *   compare := unary (op unary)?
 *   unary   := 'not' unary | primary
 *   primary := '(' or ')' | literal | name '(' args ')' | name ('/' name)* ['/' any|all '(' lambda ')']
 *
 * Keywords are case-insensitive (`EQ`, `And`); only syntax is checked here, names and types are
 * the binder's job.
 */
export function parseFilter(source: string): FilterNode {
  return new Parser(source).parseAll();
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(private readonly source: string) {
    this.tokens = tokenize(source);
  }

  parseAll(): FilterNode {
    const node = this.parseOr();
    const rest = this.peek();
    if (rest.kind !== 'end') throw this.error(`')' or operator expected at position ${rest.pos}`);
    return node;
  }

  private parseOr(): FilterNode {
    let left = this.parseAnd();
    while (this.peekKeyword('or')) {
      const pos = this.next().pos;
      left = { kind: 'or', left, right: this.parseAnd(), pos };
    }
    return left;
  }

  private parseAnd(): FilterNode {
    let left = this.parseCompare();
    while (this.peekKeyword('and')) {
      const pos = this.next().pos;
      left = { kind: 'and', left, right: this.parseCompare(), pos };
    }
    return left;
  }

  private parseCompare(): FilterNode {
    const left = this.parseUnary();
    const token = this.peek();
    const op = token.kind === 'identifier' ? asComparison(token.text) : undefined;
    if (!op) return left;
    this.next();
    return { kind: 'compare', op, left, right: this.parseUnary(), pos: token.pos };
  }

  private parseUnary(): FilterNode {
    if (this.peekKeyword('not')) {
      const pos = this.next().pos;
      return { kind: 'not', operand: this.parseUnary(), pos };
    }
    return this.parsePrimary();
  }

  private parsePrimary(): FilterNode {
    const token = this.next();
    switch (token.kind) {
      case '(': {
        const inner = this.parseOr();
        this.expect(')', `')' or operator expected at position ${this.peek().pos}`);
        return inner;
      }
      case 'string':
        return {
          kind: 'literal',
          literal: { type: 'string', value: token.value },
          text: token.text,
          pos: token.pos,
        };
      case 'number':
        return {
          kind: 'literal',
          literal: { type: 'number', value: token.value, integer: token.integer },
          text: token.text,
          pos: token.pos,
        };
      case 'datetime':
        return {
          kind: 'literal',
          literal: { type: 'datetime', value: token.value },
          text: token.text,
          pos: token.pos,
        };
      case 'guid':
        return {
          kind: 'literal',
          literal: { type: 'guid', value: token.value },
          text: token.text,
          pos: token.pos,
        };
      case 'identifier':
        return this.parseIdentifier(token);
      case 'end':
        throw this.error(`Expression expected at position ${token.pos}`);
      default:
        throw this.error(`Syntax error at position ${token.pos}`);
    }
  }

  private parseIdentifier(token: Token & { kind: 'identifier' }): FilterNode {
    const lower = token.text.toLowerCase();
    if (lower === 'true' || lower === 'false') {
      return {
        kind: 'literal',
        literal: { type: 'bool', value: lower === 'true' },
        text: token.text,
        pos: token.pos,
      };
    }
    if (lower === 'null')
      return { kind: 'literal', literal: { type: 'null' }, text: token.text, pos: token.pos };
    if (this.peek().kind === '(') return this.parseCall(lower, token.pos);

    const path = [token.text];
    while (this.peek().kind === '/') {
      this.next();
      const segment = this.expect('identifier', `Expression expected at position ${this.peek().pos}`);
      const operator = LAMBDA_OPERATORS.find((l) => l === segment.text.toLowerCase());
      if (operator && this.peek().kind === '(') return this.parseLambda(path, operator, token.pos);
      path.push(segment.text);
    }
    return { kind: 'member', path, pos: token.pos };
  }

  private parseCall(name: string, pos: number): FilterNode {
    this.expect('(', `'(' expected at position ${this.peek().pos}`);
    const args: FilterNode[] = [];
    if (this.peek().kind !== ')') {
      args.push(this.parseOr());
      while (this.peek().kind === ',') {
        this.next();
        args.push(this.parseOr());
      }
    }
    this.expect(')', `')' or ',' expected at position ${this.peek().pos}`);
    return { kind: 'call', name, args, pos };
  }

  /**
   * `tags/any(tag: tag eq 'X')`: any range-variable name (docs/mde-api.md#machine-filters), or `tags/any()`.
   */
  private parseLambda(path: string[], operator: 'any' | 'all', pos: number): FilterNode {
    this.expect('(', `'(' expected at position ${this.peek().pos}`);
    if (this.peek().kind === ')') {
      this.next();
      return { kind: 'lambda', path, operator, pos };
    }
    const variable = this.expect('identifier', `Range variable expected at position ${this.peek().pos}`);
    this.expect(':', `':' expected at position ${this.peek().pos}`);
    const body = this.parseOr();
    this.expect(')', `')' or operator expected at position ${this.peek().pos}`);
    return { kind: 'lambda', path, operator, variable: variable.text, body, pos };
  }

  private peek(): Token {
    // tokenize() always ends with an `end` token and next() never moves past it.
    return this.tokens[this.index]!;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index++;
    return token;
  }

  private peekKeyword(keyword: string): boolean {
    const token = this.peek();
    return token.kind === 'identifier' && token.text.toLowerCase() === keyword;
  }

  private expect<K extends TokenKind>(kind: K, message: string): Token & { kind: K } {
    const token = this.peek();
    if (token.kind !== kind) throw this.error(message);
    this.next();
    return token as Token & { kind: K };
  }

  private error(detail: string) {
    return invalidFilterClause(`${detail} in '${this.source}'.`);
  }
}

function asComparison(word: string): ComparisonOperator | undefined {
  const lower = word.toLowerCase();
  return COMPARISON_OPERATORS.find((op) => op === lower);
}
