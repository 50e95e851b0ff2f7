import { parseQuery } from './parse-query.js';
import { type QueryNode, QuerySyntaxError } from './query-ast.js';

/** How a query field reads a record: its type decides which operators make sense. */
export interface QueryField {
  type: 'text' | 'number' | 'date' | 'list';
  /** Reads the value(s) from an exported record (camelCase fields). */
  read(record: Record<string, unknown>): unknown;
  /** Words like `critical` a number field accepts (severity). */
  aliases?: Record<string, number>;
}

export interface QuerySpec {
  fields: Record<string, QueryField>;
  /** Fields a bare word searches, case-insensitively, as a substring. */
  textFields: string[];
}

export type RecordPredicate = (record: Record<string, unknown>) => boolean;

const lower = (v: unknown) => (v === null || v === undefined ? '' : String(v).toLowerCase());

function compareNumber(a: number, op: string, b: number): boolean {
  switch (op) {
    case ':':
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    default:
      return a <= b;
  }
}

function compileNode(node: QueryNode, spec: QuerySpec): RecordPredicate {
  switch (node.kind) {
    case 'and': {
      const parts = node.items.map((n) => compileNode(n, spec));
      return (r) => parts.every((p) => p(r));
    }
    case 'or': {
      const parts = node.items.map((n) => compileNode(n, spec));
      return (r) => parts.some((p) => p(r));
    }
    case 'not': {
      const inner = compileNode(node.item, spec);
      return (r) => !inner(r);
    }
    case 'text': {
      const needle = node.value.toLowerCase();
      return (r) => spec.textFields.some((f) => lower(r[f]).includes(needle));
    }
    case 'field':
      return compileField(node, spec);
  }
}

function compileField(node: Extract<QueryNode, { kind: 'field' }>, spec: QuerySpec): RecordPredicate {
  const name = node.field.toLowerCase();
  const field = Object.entries(spec.fields).find(([k]) => k.toLowerCase() === name)?.[1];
  if (!field) {
    throw new QuerySyntaxError(
      `unknown field "${node.field}"; fields: ${Object.keys(spec.fields).join(', ')}`,
      node.position,
    );
  }
  const { op, value } = node;
  if (field.type === 'number' || field.type === 'date') {
    const target =
      field.type === 'number'
        ? (field.aliases?.[value.toLowerCase()] ?? Number(value))
        : Date.parse(/^\d{4}-\d\d-\d\d$/.test(value) ? `${value}T00:00:00Z` : value);
    if (!Number.isFinite(target)) {
      const what = field.type === 'number' ? 'a number' : 'a date (YYYY-MM-DD or ISO-8601)';
      const aliases = field.aliases ? ` or one of ${Object.keys(field.aliases).join(', ')}` : '';
      throw new QuerySyntaxError(`"${node.field}" needs ${what}${aliases}, not "${value}"`, node.position);
    }
    return (r) => {
      const raw = field.read(r);
      if (raw === null || raw === undefined || raw === '') return op === '!=';
      const v = field.type === 'number' ? Number(raw) : Date.parse(String(raw));
      return Number.isFinite(v) && compareNumber(v, op, target);
    };
  }
  if (op !== ':' && op !== '=' && op !== '!=') {
    throw new QuerySyntaxError(`"${node.field}" is text: use ":", "=" or "!=", not "${op}"`, node.position);
  }
  const wanted = value.toLowerCase();
  // ":" matches a prefix for text (os:Windows matches Windows11), "=" only the exact value.
  const matches = (v: unknown) => (op === ':' ? lower(v).startsWith(wanted) : lower(v) === wanted);
  const test =
    field.type === 'list'
      ? (r: Record<string, unknown>) => {
          const list = field.read(r);
          return Array.isArray(list) && list.some(matches);
        }
      : (r: Record<string, unknown>) => matches(field.read(r));
  return op === '!=' ? (r) => !test(r) : test;
}

/** Parses and compiles a query into a predicate over exported records; errors name what is wrong. */
export function compileQuery(source: string, spec: QuerySpec): RecordPredicate {
  return compileNode(parseQuery(source), spec);
}
