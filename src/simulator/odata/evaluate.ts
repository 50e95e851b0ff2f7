import { type EntitySetSpec, type PropertyType, resolveProperty } from '../../mde/odata/entity-sets.js';
import type { ComparisonOperator, Literal } from '../../mde/odata/filter-ast.js';
import type { BoundFilter, BoundTarget } from '../../mde/odata/filter-binder.js';
import { compareInstants, type Instant, parseInstant } from '../../mde/odata/instant.js';

/**
 * Runs a bound `$filter` and `$orderby` over records (camelCase wire objects, tenant/types.ts).
 * Names were resolved by the binder, so a record property is read by its canonical key with no
 * per-record name matching.
 */

export type Predicate = (record: Readonly<Record<string, unknown>>) => boolean;

export interface OrderByClause {
  /** Canonical property name. */
  property: string;
  direction: 'asc' | 'desc';
}

/** A compiled node: `item` is the current element while inside `any(...)`. */
type Scoped = (record: Readonly<Record<string, unknown>>, item: unknown) => boolean;

export function compileFilter(filter: BoundFilter): Predicate {
  const run = compile(filter);
  return (record) => run(record, undefined);
}

function compile(node: BoundFilter): Scoped {
  switch (node.kind) {
    case 'and': {
      const [left, right] = [compile(node.left), compile(node.right)];
      return (r, item) => left(r, item) && right(r, item);
    }
    case 'or': {
      const [left, right] = [compile(node.left), compile(node.right)];
      return (r, item) => left(r, item) || right(r, item);
    }
    case 'not': {
      const operand = compile(node.operand);
      return (r, item) => !operand(r, item);
    }
    case 'constant': {
      const value = node.value;
      return () => value;
    }
    case 'compare':
      return compileComparison(node.op, getter(node.target), node.value, node.target.type);
    case 'function': {
      const read = getter(node.target);
      const argument = node.argument.toLowerCase();
      // Case-insensitive like eq (see compileComparison); MDE does not say either way.
      const test =
        node.name === 'startswith'
          ? (s: string) => s.startsWith(argument)
          : node.name === 'endswith'
            ? (s: string) => s.endsWith(argument)
            : (s: string) => s.includes(argument);
      return (r, item) => {
        const value = read(r, item);
        return typeof value === 'string' && test(value.toLowerCase());
      };
    }
    case 'any': {
      const name = node.property;
      const body = node.body ? compile(node.body) : undefined;
      return (r) => {
        const values = r[name];
        if (!Array.isArray(values)) return false;
        return body ? values.some((item) => body(r, item)) : values.length > 0;
      };
    }
  }
}

function getter(target: BoundTarget): (r: Readonly<Record<string, unknown>>, item: unknown) => unknown {
  if (target.kind === 'range-variable') return (_r, item) => item;
  const name = target.name;
  return (r) => r[name];
}

/**
 * OData null semantics: `x eq null` is true for a null (or absent) value, `x ne 'a'` is true for
 * null, and an ordering comparison involving null is false.
 */
function compileComparison(
  op: ComparisonOperator,
  read: (r: Readonly<Record<string, unknown>>, item: unknown) => unknown,
  literal: Literal,
  type: PropertyType,
): Scoped {
  if (literal.type === 'null') {
    if (op === 'eq') return (r, item) => read(r, item) == null;
    if (op === 'ne') return (r, item) => read(r, item) != null;
    return () => false;
  }
  const compareTo = comparerFor(type, literal);
  const accept = ACCEPT[op];
  return (r, item) => {
    const value = read(r, item);
    // An unreadable value (null, wrong type) is unequal to everything and unordered.
    const order = value == null ? undefined : compareTo(value);
    return order === undefined ? op === 'ne' : accept(order);
  };
}

const ACCEPT: Record<ComparisonOperator, (order: number) => boolean> = {
  eq: (o) => o === 0,
  ne: (o) => o !== 0,
  gt: (o) => o > 0,
  ge: (o) => o >= 0,
  lt: (o) => o < 0,
  le: (o) => o <= 0,
};

/** `value` compared with the literal: negative, zero, positive, or undefined when incomparable. */
function comparerFor(type: PropertyType, literal: Literal): (value: unknown) => number | undefined {
  if (literal.type === 'datetime') {
    const instant = literal.value;
    return (value) => {
      const other = toInstant(value);
      return other && compareInstants(other, instant);
    };
  }
  if (literal.type === 'number') {
    const n = literal.value;
    return (value) => {
      const other = toNumber(value);
      return other === undefined ? undefined : other - n;
    };
  }
  if (literal.type === 'bool') {
    const b = Number(literal.value);
    return (value) => (typeof value === 'boolean' ? Number(value) - b : undefined);
  }
  if (literal.type === 'string' || literal.type === 'guid') {
    // MDE matches enum values regardless of case ('high' finds 'High'); we extend that to every
    // string and GUID comparison, which is also how its SQL-backed stores usually collate.
    const s = literal.value.toLowerCase();
    return (value) => (typeof value === 'string' ? compareStrings(value.toLowerCase(), s) : undefined);
  }
  // The binder only lets matching types through; this keeps the switch total.
  throw new Error(`no comparison for ${type} with ${literal.type}`);
}

/**
 * A comparator for `Array.prototype.sort` (which is stable, so ties keep the source order). With
 * the spec, values compare by the property's declared type; without it, by what they look like.
 * Nulls sort first ascending and last descending, as in SQL Server and ASP.NET OData.
 */
export function compareForOrderBy(
  orderBy: readonly OrderByClause[],
  spec?: EntitySetSpec,
): (a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>) => number {
  const keys = orderBy.map((clause) => {
    const name = spec ? (resolveProperty(spec, clause.property) ?? clause.property) : clause.property;
    const type = spec?.properties[name];
    return { name, sign: clause.direction === 'desc' ? -1 : 1, key: sortKeyFor(type) };
  });
  // Sorting calls the comparator O(n log n) times; parse each record's keys once.
  const cache = new WeakMap<object, SortKey[]>();
  const keysOf = (record: Readonly<Record<string, unknown>>): SortKey[] => {
    let found = cache.get(record);
    if (!found) {
      found = keys.map((k) => k.key(record[k.name]));
      cache.set(record, found);
    }
    return found;
  };
  return (a, b) => {
    const [ka, kb] = [keysOf(a), keysOf(b)];
    for (let i = 0; i < keys.length; i++) {
      const order = compareSortKeys(ka[i], kb[i]);
      if (order !== 0) return order * keys[i]!.sign;
    }
    return 0;
  };
}

type SortKey = null | number | string | Instant;

function sortKeyFor(type: PropertyType | undefined): (value: unknown) => SortKey {
  switch (type) {
    case 'datetime':
      return (v) => toInstant(v) ?? null;
    case 'number':
      return (v) => toNumber(v) ?? null;
    case 'bool':
      return (v) => (typeof v === 'boolean' ? Number(v) : null);
    case 'string':
    case 'guid':
      return (v) => (typeof v === 'string' ? v.toLowerCase() : null);
    default:
      return inferSortKey;
  }
}

/** Without a declared type: numbers and booleans as numbers, ISO timestamps as instants. */
function inferSortKey(value: unknown): SortKey {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return Number(value);
  if (typeof value !== 'string') return null;
  return (LOOKS_LIKE_DATE.test(value) && parseInstant(value)) || value.toLowerCase();
}

const LOOKS_LIKE_DATE = /^\d{4}-\d{2}-\d{2}/;

function compareSortKeys(a: SortKey | undefined, b: SortKey | undefined): number {
  if (a == null || b == null) return a == null ? (b == null ? 0 : -1) : 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (typeof a === 'object' && typeof b === 'object') return compareInstants(a, b);
  // Mixed kinds (only when inferring): order by kind so the sort stays consistent.
  return kindRank(a) - kindRank(b);
}

function kindRank(key: SortKey): number {
  return typeof key === 'number' ? 0 : typeof key === 'string' ? 2 : 1;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function toInstant(value: unknown): Instant | undefined {
  return typeof value === 'string' ? parseInstant(value) : undefined;
}

/**
 * Numbers, and numeric strings: rbacGroupId is a String in the docs but a number on the wire
 * (docs/mde-api.md#field-casing).
 */
function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isNaN(value) ? undefined : value;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}
