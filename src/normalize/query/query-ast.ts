/** The query language of issue 4, item 7: `severity>=4 status:open cve:CVE-2024-1234 -tag:lab "edge"`. */
export const QUERY_OPERATORS = [':', '=', '!=', '>', '>=', '<', '<='] as const;
export type QueryOperator = (typeof QUERY_OPERATORS)[number];

export type QueryNode =
  | { kind: 'and'; items: QueryNode[] }
  | { kind: 'or'; items: QueryNode[] }
  | { kind: 'not'; item: QueryNode }
  | { kind: 'field'; field: string; op: QueryOperator; value: string; position: number }
  | { kind: 'text'; value: string; position: number };

export class QuerySyntaxError extends Error {
  readonly code = 'query' as const;
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} (at character ${position + 1})`);
  }
}
