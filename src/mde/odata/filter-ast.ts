import type { Instant } from './instant.js';

/**
 * The syntax tree of a `$filter` expression, before it is checked against an entity set. Names are
 * kept as written; the binder resolves them (case-insensitively, docs/mde-api.md#field-casing).
 */

/**
 * docs/mde-api.md#machine-filters: eq, ne, gt, ge are documented; lt and le are standard OData and used by
 * connectors.
 */
export const COMPARISON_OPERATORS = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

export const LAMBDA_OPERATORS = ['any', 'all'] as const;
export type LambdaOperator = (typeof LAMBDA_OPERATORS)[number];

export type Literal =
  | { type: 'string'; value: string }
  | { type: 'number'; value: number; integer: boolean }
  | { type: 'bool'; value: boolean }
  | { type: 'null' }
  | { type: 'datetime'; value: Instant }
  | { type: 'guid'; value: string };

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode; pos: number }
  | { kind: 'not'; operand: FilterNode; pos: number }
  | { kind: 'compare'; op: ComparisonOperator; left: FilterNode; right: FilterNode; pos: number }
  /** A function call; `name` is lower-cased since OData function names are matched that way here. */
  | { kind: 'call'; name: string; args: FilterNode[]; pos: number }
  /** `a` or `a/b`: a property, a navigation path, or a lambda's range variable. */
  | { kind: 'member'; path: string[]; pos: number }
  | { kind: 'literal'; literal: Literal; text: string; pos: number }
  /** `path/any(v: body)`; `any()` has neither variable nor body. */
  | {
      kind: 'lambda';
      path: string[];
      operator: LambdaOperator;
      variable?: string;
      body?: FilterNode;
      pos: number;
    };
