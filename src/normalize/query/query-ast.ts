/**
 * The query language of `mdec export --query` (docs/queries.md), e.g.
 * `severity>=high AND status:open AND NOT tag:lab OR "edge"`.
 */
export const QUERY_OPERATORS = [':', '=', '!=', '>', '>=', '<', '<='] as const;
export type QueryOperator = (typeof QUERY_OPERATORS)[number];

/** The words that join terms, matched in any letter case. */
export const QUERY_KEYWORDS = ['AND', 'OR', 'NOT'] as const;
export type QueryKeyword = (typeof QUERY_KEYWORDS)[number];

export type QueryNode =
  | { kind: 'and'; items: QueryNode[] }
  | { kind: 'or'; items: QueryNode[] }
  | { kind: 'not'; item: QueryNode }
  | { kind: 'field'; field: string; op: QueryOperator; value: string; position: number }
  | { kind: 'text'; value: string; position: number };

/** A query that cannot be run; the message names what is wrong and where (1-based character). */
export class QuerySyntaxError extends Error {
  readonly code = 'query' as const;
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} (at character ${position + 1})`);
  }
}
