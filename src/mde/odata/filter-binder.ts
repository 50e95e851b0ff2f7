import {
  type EntitySetSpec,
  FILTER_FUNCTIONS,
  type FilterFunction,
  type PropertyType,
  resolveProperty,
  type ScalarPropertyType,
} from './entity-sets.js';
import type { ComparisonOperator, FilterNode, Literal } from './filter-ast.js';
import { invalidFilterClause, invalidQuery, type ODataError } from './odata-error.js';

/**
 * Checks a parsed `$filter` against an entity set and resolves it: names become canonical property
 * names, literals are checked against (and converted to) the property's type. Everything MDE would
 * refuse is refused here, so evaluation itself never fails (docs/mde-api.md#errors: 400 ODataError).
 */

/** What a comparison reads: a record property, or the element of a collection inside `any(...)`. */
export type BoundTarget =
  | { kind: 'property'; name: string; type: ScalarPropertyType }
  | { kind: 'range-variable'; type: 'string' };

export type BoundFilter =
  | { kind: 'and' | 'or'; left: BoundFilter; right: BoundFilter }
  | { kind: 'not'; operand: BoundFilter }
  | { kind: 'constant'; value: boolean }
  /** Always `target op value`: a literal on the left is swapped over with the operator mirrored. */
  | { kind: 'compare'; op: ComparisonOperator; target: BoundTarget; value: Literal }
  | { kind: 'function'; name: FilterFunction; target: BoundTarget; argument: string }
  | { kind: 'any'; property: string; body?: BoundFilter };

export function bindFilter(node: FilterNode, spec: EntitySetSpec): BoundFilter {
  return bindBoolean(node, { spec }, () =>
    invalidFilterClause('The $filter expression must evaluate to a single boolean value.'),
  );
}

interface Scope {
  spec: EntitySetSpec;
  /** Lower-cased name of the lambda's range variable while binding its body. */
  rangeVariable?: string;
}

/** Builds the error for an operand that is not boolean, given the operand's EDM type name. */
type NotBoolean = (edmType: string) => ODataError;

const MIRRORED: Record<ComparisonOperator, ComparisonOperator> = {
  eq: 'eq',
  ne: 'ne',
  gt: 'lt',
  ge: 'le',
  lt: 'gt',
  le: 'ge',
};

const OPERATOR_KIND: Record<ComparisonOperator | 'and' | 'or', string> = {
  eq: 'Equal',
  ne: 'NotEqual',
  gt: 'GreaterThan',
  ge: 'GreaterThanOrEqual',
  lt: 'LessThan',
  le: 'LessThanOrEqual',
  and: 'And',
  or: 'Or',
};

// Standard OData functions we know but MDE does not offer: refused as "not allowed" rather than
// "unknown", as ASP.NET OData does.
const OTHER_ODATA_FUNCTIONS = new Set([
  'concat',
  'indexof',
  'length',
  'substring',
  'matchespattern',
  'tolower',
  'toupper',
  'trim',
  'year',
  'month',
  'day',
  'hour',
  'minute',
  'second',
  'fractionalseconds',
  'totalseconds',
  'date',
  'time',
  'totaloffsetminutes',
  'now',
  'mindatetime',
  'maxdatetime',
  'round',
  'floor',
  'ceiling',
  'cast',
  'isof',
  'hassubset',
  'hassubsequence',
]);

function bindBoolean(node: FilterNode, scope: Scope, notBoolean: NotBoolean): BoundFilter {
  switch (node.kind) {
    case 'and':
    case 'or': {
      const binary = (edmType: string) =>
        invalidFilterClause(
          `A binary operator with incompatible types was detected. Found operand types '${edmType}' and 'Edm.Boolean' for operator kind '${OPERATOR_KIND[node.kind]}'.`,
        );
      return {
        kind: node.kind,
        left: bindBoolean(node.left, scope, binary),
        right: bindBoolean(node.right, scope, binary),
      };
    }
    case 'not':
      return {
        kind: 'not',
        operand: bindBoolean(node.operand, scope, (edmType) =>
          invalidFilterClause(
            `A unary operator with an incompatible type was detected. Found operand type '${edmType}' for operator kind 'Not'.`,
          ),
        ),
      };
    case 'compare':
      return bindComparison(node, scope);
    case 'call':
      return bindFunction(node, scope);
    case 'lambda':
      return bindLambda(node, scope);
    case 'literal':
      if (node.literal.type === 'bool') return { kind: 'constant', value: node.literal.value };
      throw notBoolean(literalEdmType(node.literal));
    case 'member': {
      const target = bindMember(node, scope);
      if (target.type === 'bool')
        return { kind: 'compare', op: 'eq', target, value: { type: 'bool', value: true } };
      throw notBoolean(edmType(target.type));
    }
  }
}

function bindComparison(node: FilterNode & { kind: 'compare' }, scope: Scope): BoundFilter {
  let { left, right, op } = node;
  if (left.kind === 'literal' && right.kind !== 'literal') {
    [left, right, op] = [right, left, MIRRORED[op]];
  }
  // `startswith(x,'a') eq true`: a boolean expression compared with a boolean literal.
  if (left.kind !== 'member' && left.kind !== 'literal') {
    const inner = bindBoolean(left, scope, () => invalidQuery('A boolean expression was expected.'));
    if (right.kind === 'literal' && right.literal.type === 'bool' && (op === 'eq' || op === 'ne')) {
      return right.literal.value === (op === 'eq') ? inner : { kind: 'not', operand: inner };
    }
    throw invalidQuery('A boolean expression can only be compared with true or false using eq or ne.');
  }
  if (left.kind !== 'member' || right.kind !== 'literal') {
    throw invalidQuery('Only comparisons between a property and a literal value are supported.');
  }
  const target = bindMember(left, scope);
  if (target.type === 'string-collection') throw collectionNeedsLambda(target.name);
  const value = coerceLiteral(right.literal, target.type);
  if (!value) {
    throw invalidFilterClause(
      `A binary operator with incompatible types was detected. Found operand types '${edmType(target.type)}' and '${literalEdmType(right.literal)}' for operator kind '${OPERATOR_KIND[op]}'.`,
    );
  }
  return { kind: 'compare', op, target, value };
}

function bindFunction(node: FilterNode & { kind: 'call' }, scope: Scope): BoundFilter {
  const name = FILTER_FUNCTIONS.find((f) => f === node.name);
  if (!name) {
    if (OTHER_ODATA_FUNCTIONS.has(node.name)) throw functionNotAllowed(node.name);
    throw invalidFilterClause(
      `An unknown function with name '${node.name}' was found. This may also be a function import or a key lookup on a navigation property, which is not allowed.`,
    );
  }
  if (!scope.spec.functions.has(name)) throw functionNotAllowed(name);
  const [subject, argument] = node.args;
  const target =
    node.args.length === 2 && subject?.kind === 'member' ? bindMember(subject, scope) : undefined;
  if (target?.type !== 'string' || argument?.kind !== 'literal' || argument.literal.type !== 'string') {
    throw invalidFilterClause(
      `No function signature for the function with name '${name}' matches the specified arguments. The function signatures considered are: ${name}(Edm.String Nullable=true, Edm.String Nullable=true).`,
    );
  }
  return { kind: 'function', name, target, argument: argument.literal.value };
}

/**
 * docs/mde-api.md#machine-filters: `machineTags/any(tag: tag eq 'ExampleTag')`, the only way to filter on
 * tags.
 */
function bindLambda(node: FilterNode & { kind: 'lambda' }, scope: Scope): BoundFilter {
  // `all` is standard OData but MDE only ever shows `any`; refuse rather than promise it.
  if (node.operator === 'all') throw functionNotAllowed('all');
  if (scope.rangeVariable !== undefined) throw invalidQuery('Nested lambda expressions are not supported.');
  const collection = bindMember({ kind: 'member', path: node.path, pos: node.pos }, scope);
  if (collection.kind !== 'property' || collection.type !== 'string-collection') {
    throw invalidFilterClause('Any/All may only be used following a collection.');
  }
  if (node.variable === undefined || node.body === undefined)
    return { kind: 'any', property: collection.name };
  const inner: Scope = { spec: scope.spec, rangeVariable: node.variable.toLowerCase() };
  return {
    kind: 'any',
    property: collection.name,
    body: bindBoolean(node.body, inner, () =>
      invalidFilterClause('The body of an Any/All query must evaluate to a single boolean value.'),
    ),
  };
}

type MemberTarget = BoundTarget | { kind: 'property'; name: string; type: 'string-collection' };

/**
 * Resolves a property path (case-insensitively, docs/mde-api.md#field-casing) and checks it may be filtered
 * on.
 */
function bindMember(node: FilterNode & { kind: 'member' }, scope: Scope): MemberTarget {
  const [head, ...rest] = node.path as [string, ...string[]];
  if (scope.rangeVariable !== undefined && head.toLowerCase() === scope.rangeVariable) {
    if (rest.length > 0)
      throw invalidFilterClause(`The range variable '${head}' has no property '${rest[0]}'.`);
    return { kind: 'range-variable', type: 'string' };
  }
  const name = resolveProperty(scope.spec, head);
  if (name === undefined) {
    throw invalidFilterClause(`Could not find a property named '${head}' on type '${scope.spec.typeName}'.`);
  }
  // docs/mde-api.md#machine-filters: only the documented properties are filterable (e.g. not firstSeen on
  // machines).
  if (rest.length > 0 || !scope.spec.filterable.has(name)) {
    throw invalidQuery(
      `The property '${[name, ...rest].join('/')}' cannot be used in the $filter query option.`,
    );
  }
  const type = scope.spec.properties[name] as PropertyType;
  if (type === 'object' || type === 'object-collection') {
    throw invalidQuery(`The property '${name}' cannot be used in the $filter query option.`);
  }
  return { kind: 'property', name, type };
}

/** The literal as a value of `type`, or undefined when the two cannot be compared. */
function coerceLiteral(literal: Literal, type: PropertyType): Literal | undefined {
  if (literal.type === 'null') return type === 'string-collection' ? undefined : literal;
  switch (type) {
    case 'string':
      return literal.type === 'string' ? literal : undefined;
    case 'number':
      return literal.type === 'number' ? literal : undefined;
    case 'datetime':
      return literal.type === 'datetime' ? literal : undefined;
    case 'bool':
      return literal.type === 'bool' ? literal : undefined;
    case 'guid':
      // GUIDs come unquoted (standard OData) or quoted (what most clients send).
      if (literal.type === 'guid') return literal;
      if (literal.type === 'string' && GUID_TEXT.test(literal.value)) {
        return { type: 'guid', value: literal.value.toLowerCase() };
      }
      return undefined;
    default:
      return undefined;
  }
}

const GUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** docs/mde-api.md#machine-filters: tags are matched through a lambda, never compared as a whole. */
function collectionNeedsLambda(name: string): ODataError {
  return invalidQuery(
    `The collection property '${name}' can only be filtered with any(), e.g. '${name}/any(t: t eq 'x')'.`,
  );
}

function functionNotAllowed(name: string): ODataError {
  return invalidQuery(
    `Function '${name}' is not allowed. To allow it, set the 'AllowedFunctions' property on EnableQueryAttribute or QueryValidationSettings.`,
  );
}

function edmType(type: PropertyType): string {
  switch (type) {
    case 'string':
      return 'Edm.String';
    case 'number':
      return 'Edm.Double';
    case 'datetime':
      return 'Edm.DateTimeOffset';
    case 'guid':
      return 'Edm.Guid';
    case 'bool':
      return 'Edm.Boolean';
    case 'string-collection':
      return 'Collection(Edm.String)';
    default:
      return 'Edm.ComplexType';
  }
}

function literalEdmType(literal: Literal): string {
  switch (literal.type) {
    case 'number':
      if (!literal.integer) return 'Edm.Double';
      return Math.abs(literal.value) < 2 ** 31 ? 'Edm.Int32' : 'Edm.Int64';
    case 'null':
      return '<null>';
    default:
      return edmType(literal.type);
  }
}
