import { closestWord } from './closest-word.js';
import { parseQuery } from './parse-query.js';
import { type QueryNode, type QueryOperator, QuerySyntaxError } from './query-ast.js';
import { parseQueryDate } from './query-date.js';
import { EXPLOIT_SCALE, type QueryScale, rankOfValue, rankOfWord, SEVERITY_SCALE } from './query-scales.js';

/**
 * What a field holds, which decides its operators and values:
 * - `text`, `list` (any element): `:` prefix, `=` exact, `!=` not exact, ignoring case;
 * - `number`, `date`, `severity`, `exploit`: every operator, `:` meaning `=`;
 * - `boolean`: `:`, `=`, `!=` with true/false (yes/no).
 */
export const QUERY_FIELD_TYPES = [
  'text',
  'list',
  'number',
  'date',
  'severity',
  'exploit',
  'boolean',
] as const;
export type QueryFieldType = (typeof QUERY_FIELD_TYPES)[number];

export interface QueryField {
  type: QueryFieldType;
  /** Reads the value (a list for `list`) from an exported record (camelCase fields). */
  read(record: Record<string, unknown>): unknown;
  /**
   * The record field `read` returns as it is, when it does: a database can then evaluate the field
   * on the column of that name (src/store/query/query-to-sql.ts); fields without it are computed.
   */
  field?: string;
}

export interface QuerySpec {
  fields: Record<string, QueryField>;
  /** Record fields a bare word searches, ignoring case, as a substring. */
  textFields: string[];
}

export type RecordPredicate = (record: Record<string, unknown>) => boolean;

const SCALES: Partial<Record<QueryFieldType, QueryScale>> = {
  severity: SEVERITY_SCALE,
  exploit: EXPLOIT_SCALE,
};
const EQUALITY_ONLY: readonly QueryOperator[] = [':', '=', '!='];
const NUMBER = /^-?\d+(\.\d+)?$/;
const BOOLEANS: Readonly<Record<string, boolean>> = { true: true, yes: true, false: false, no: false };

const lower = (v: unknown) => (v === null || v === undefined ? '' : String(v).toLowerCase());

/** `value op target` for values on a line; `:` is `=`. */
function compare(value: number, op: QueryOperator, target: number): boolean {
  switch (op) {
    case ':':
    case '=':
      return value === target;
    case '!=':
      return value !== target;
    case '>':
      return value > target;
    case '>=':
      return value >= target;
    case '<':
      return value < target;
    case '<=':
      return value <= target;
  }
}

/** `time op span` for a date value against the span a query date names (query-date.ts). */
function compareTime(time: number, op: QueryOperator, span: { start: number; end: number }): boolean {
  switch (op) {
    case ':':
    case '=':
      return time >= span.start && time < span.end;
    case '!=':
      return time < span.start || time >= span.end;
    case '>':
      return time >= span.end;
    case '>=':
      return time >= span.start;
    case '<':
      return time < span.start;
    case '<=':
      return time < span.end;
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

type FieldNode = Extract<QueryNode, { kind: 'field' }>;

function findField(node: FieldNode, spec: QuerySpec): QueryField {
  const names = Object.keys(spec.fields);
  const name = names.find((k) => k.toLowerCase() === node.field.toLowerCase());
  if (name) return spec.fields[name]!;
  const meant = closestWord(node.field, names);
  throw new QuerySyntaxError(
    `unknown field "${node.field}"${meant ? ` (did you mean ${meant}?)` : ''}; fields: ${names.join(', ')}`,
    node.position,
  );
}

/** A value outside what its field takes: says what it takes, and the word it was closest to. */
function badValue(node: FieldNode, wants: string, words: readonly string[] = []): QuerySyntaxError {
  const meant = words.length > 0 ? closestWord(node.value, words) : undefined;
  return new QuerySyntaxError(
    `"${node.field}" needs ${wants}, not "${node.value}"${meant ? `; did you mean ${node.field}${node.op}${meant}?` : ''}`,
    node.position,
  );
}

function compileField(node: FieldNode, spec: QuerySpec): RecordPredicate {
  const field = findField(node, spec);
  const { op, value } = node;
  if (
    (field.type === 'text' || field.type === 'list' || field.type === 'boolean') &&
    !EQUALITY_ONLY.includes(op)
  ) {
    throw new QuerySyntaxError(
      `"${node.field}" is ${field.type === 'boolean' ? 'yes or no' : 'text'}: use ":", "=" or "!=", not "${op}"`,
      node.position,
    );
  }
  const read = field.read;
  switch (field.type) {
    case 'text':
    case 'list': {
      const wanted = value.toLowerCase();
      // ":" matches a prefix (os:Windows matches Windows11), "=" and "!=" the whole value.
      const matches = (v: unknown) => (op === ':' ? lower(v).startsWith(wanted) : lower(v) === wanted);
      const test =
        field.type === 'list'
          ? (r: Record<string, unknown>) => {
              const list = read(r);
              return Array.isArray(list) && list.some(matches);
            }
          : (r: Record<string, unknown>) => matches(read(r));
      return op === '!=' ? (r) => !test(r) : test;
    }
    case 'boolean': {
      const wanted = BOOLEANS[value.toLowerCase()];
      if (wanted === undefined) throw badValue(node, 'true or false (yes or no)', Object.keys(BOOLEANS));
      return (r) => {
        const v = read(r);
        const b = v === null || v === undefined ? undefined : v === true || v === 1 || v === 'true';
        return op === '!=' ? b !== wanted : b === wanted;
      };
    }
    case 'number': {
      if (!NUMBER.test(value)) throw badValue(node, 'a number');
      return onLine(Number(value), op, (r) => {
        const v = read(r);
        return v === null || v === undefined || v === '' ? null : Number(v);
      });
    }
    case 'date': {
      const span = parseQueryDate(value);
      if (!span) {
        throw badValue(
          node,
          'a date (2026-11-01) or a time (2026-11-01T09:30Z, 2026-11-01T09:30:00.000+02:00)',
        );
      }
      return (r) => {
        const v = read(r);
        const time = v === null || v === undefined || v === '' ? Number.NaN : Date.parse(String(v));
        return Number.isFinite(time) ? compareTime(time, op, span) : op === '!=';
      };
    }
    case 'severity':
    case 'exploit': {
      const scale = SCALES[field.type]!;
      const top = scale.words.length - 1;
      const target = NUMBER.test(value) ? Number(value) : rankOfWord(scale, value);
      if (target === undefined || target < 0 || target > top) {
        const article = /^[aeiou]/.test(scale.name) ? 'an' : 'a';
        throw badValue(
          node,
          `a number 0 to ${top} or ${article} ${scale.name} word (${scale.words.join(', ')})`,
          [...scale.words, ...Object.keys(scale.aliases)],
        );
      }
      return onLine(target, op, (r) => rankOfValue(scale, read(r)));
    }
  }
}

/** A comparison on a number line; a record without a value matches only `!=`. */
function onLine(target: number, op: QueryOperator, rankOf: (r: Record<string, unknown>) => number | null) {
  return (r: Record<string, unknown>) => {
    const v = rankOf(r);
    return v === null || !Number.isFinite(v) ? op === '!=' : compare(v, op, target);
  };
}

/**
 * Parses and compiles a query into a predicate over exported records. Throws
 * {@link QuerySyntaxError} naming what is wrong and where; a query it returns for cannot throw.
 */
export function compileQuery(source: string, spec: QuerySpec): RecordPredicate {
  return compileQueryNode(parseQuery(source), spec);
}

/** Compiles a parsed query, or a part of one, into its predicate; throws as {@link compileQuery}. */
export function compileQueryNode(node: QueryNode, spec: QuerySpec): RecordPredicate {
  return compileNode(node, spec);
}
