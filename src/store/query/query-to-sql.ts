import { type Expression, type RawBuilder, type SqlBool, sql } from 'kysely';
import {
  compileQuery,
  compileQueryNode,
  type QueryField,
  type QuerySpec,
  type RecordPredicate,
} from '../../normalize/query/compile-query.js';
import { parseQuery } from '../../normalize/query/parse-query.js';
import type { QueryNode, QueryOperator } from '../../normalize/query/query-ast.js';
import { parseQueryDate } from '../../normalize/query/query-date.js';
import {
  EXPLOIT_SCALE,
  type QueryScale,
  rankOfWord,
  SEVERITY_SCALE,
} from '../../normalize/query/query-scales.js';
import type { SqlDialect } from '../db/sql-dialect.js';
import { type StoredForm, storedForm } from './stored-forms.js';

/**
 * A query (docs/queries.md) for the database: `where` selects the rows of the kind's table, and
 * `predicate` is the language's own evaluator over the presented record.
 *
 * `exact` says `where` selects exactly the records `predicate` accepts. A field read from a column of
 * the table is evaluated by the database with the evaluator's rules; a computed field (a host's
 * Defender fields, a finding's host name) cannot be, so `where` widens there (true where the field
 * appears, false under NOT) and selects a superset: the caller then also applies `predicate`. A
 * query without computed fields is evaluated by the database alone, which is what keyset paging over
 * a large table needs.
 */
export interface SqlQuery {
  where: Expression<SqlBool>;
  predicate: RecordPredicate;
  exact: boolean;
}

/** The columns of the table a kind reads (camelCase), to tell which fields the database can evaluate. */
export interface SqlQueryTarget {
  table: string;
  columns: ReadonlySet<string>;
  dialect: SqlDialect;
}

type Sql = RawBuilder<SqlBool>;
const TRUE = sql<SqlBool>`1 = 1`;
const FALSE = sql<SqlBool>`1 = 0`;
const NUMBER = /^-?\d+(\.\d+)?$/;
const BOOLEANS: Readonly<Record<string, boolean>> = { true: true, yes: true, false: false, no: false };
const SCALES: Partial<Record<QueryField['type'], QueryScale>> = {
  severity: SEVERITY_SCALE,
  exploit: EXPLOIT_SCALE,
};

/** Parses and compiles `source`; throws QuerySyntaxError exactly as compileQuery does. */
export function compileQueryToSql(source: string, spec: QuerySpec, target: SqlQueryTarget): SqlQuery {
  const predicate = compileQuery(source, spec);
  const state = { exact: true };
  const where = new SqlCompiler(spec, target, state).node(parseQuery(source), true);
  return { where, predicate, exact: state.exact };
}

class SqlCompiler {
  constructor(
    private readonly spec: QuerySpec,
    private readonly target: SqlQueryTarget,
    private readonly state: { exact: boolean },
  ) {}

  /** `positive` is false under an odd number of NOTs: a widened term is then false, not true. */
  node(node: QueryNode, positive: boolean): Sql {
    switch (node.kind) {
      case 'and':
        return join(
          node.items.map((n) => this.node(n, positive)),
          'and',
        );
      case 'or':
        return join(
          node.items.map((n) => this.node(n, positive)),
          'or',
        );
      case 'not':
        // A comparison with a missing value is NULL in SQL and false in the evaluator. Under AND and
        // OR alone NULL acts as false in the end (WHERE keeps only true rows), but NOT NULL is NULL:
        // so what a NOT negates is made true-or-false first.
        return sql<SqlBool>`not coalesce((${this.node(node.item, !positive)}), ${FALSE})`;
      case 'text': {
        const columns = this.spec.textFields.filter((f) => this.target.columns.has(f));
        if (columns.length < this.spec.textFields.length) return this.widen(positive);
        const pattern = `%${escapeLike(node.value.toLowerCase())}%`;
        return join(
          columns.map((c) => sql<SqlBool>`${this.lowerText(c)} like ${pattern} escape '\\'`),
          'or',
        );
      }
      case 'field': {
        const name = Object.keys(this.spec.fields).find((k) => k.toLowerCase() === node.field.toLowerCase())!;
        const field = this.spec.fields[name]!;
        if (!field.field || !this.target.columns.has(field.field)) return this.widen(positive);
        const form = storedForm(this.target.table, field.field);
        if (form?.kind === 'words') return this.words(node, field.field, form.words);
        return this.field(field.type, field.field, node.op, node.value, form);
      }
    }
  }

  private widen(positive: boolean): Sql {
    this.state.exact = false;
    return positive ? TRUE : FALSE;
  }

  private ref(column: string) {
    return sql.ref(`${this.target.table}.${column}`);
  }

  private lowerText(column: string) {
    return sql`lower(coalesce(${this.ref(column)}, ''))`;
  }

  /**
   * A comparison on a column that holds only `words` (stored-forms.ts): the words the evaluator's
   * own comparison accepts, by value, and the missing value if it accepts that. What the evaluator
   * reads (case, prefixes, ranks) is decided here, once, so the database compares the bare column.
   *
   * On SQLite the column is written `+column`, the same value: SQLite keeps no statistics here (the
   * store never runs ANALYZE), so it takes an equality on an indexed column for a narrow one and
   * would seek `hosts_status` for `status:active`, then sort every active host to serve one page of
   * hosts by risk, where walking `hosts_risk` in order stops after the page. The unary plus keeps a
   * comparison of a few words from choosing the index; PostgreSQL estimates it from its statistics.
   */
  private words(node: Extract<QueryNode, { kind: 'field' }>, column: string, words: readonly string[]): Sql {
    const accepts = compileQueryNode(node, this.spec);
    const ref = this.target.dialect === 'sqlite' ? sql`+${this.ref(column)}` : this.ref(column);
    const picked = words.filter((w) => accepts({ [column]: w }));
    const parts = picked.length > 0 ? [sql<SqlBool>`${ref} in (${sql.join(picked)})`] : [];
    if (accepts({ [column]: null })) parts.push(sql<SqlBool>`${ref} is null`);
    return join(parts, 'or');
  }

  private field(
    type: QueryField['type'],
    column: string,
    op: QueryOperator,
    value: string,
    form: StoredForm | undefined,
  ): Sql {
    const ref = this.ref(column);
    switch (type) {
      case 'text':
      case 'list': {
        const wanted = value.toLowerCase();
        const match = (expr: unknown) =>
          op === ':'
            ? sql<SqlBool>`lower(${expr}) like ${`${escapeLike(wanted)}%`} escape '\\'`
            : sql<SqlBool>`lower(${expr}) = ${wanted}`;
        const test =
          type === 'text'
            ? match(sql`coalesce(${ref}, '')`)
            : this.target.dialect === 'sqlite'
              ? sql<SqlBool>`exists (select 1 from json_each(case when json_valid(${ref}) and json_type(${ref}) = 'array' then ${ref} else '[]' end) as e where e.type = 'text' and ${match(sql`e.value`)})`
              : sql<SqlBool>`exists (select 1 from jsonb_array_elements(case when jsonb_typeof(${ref}::jsonb) = 'array' then ${ref}::jsonb else '[]'::jsonb end) as e(v) where jsonb_typeof(e.v) = 'string' and ${match(sql`(e.v #>> '{}')`)})`;
        return op === '!=' ? sql<SqlBool>`not (${test})` : test;
      }
      case 'boolean': {
        const wanted = BOOLEANS[value.toLowerCase()] ? 1 : 0;
        return op === '!='
          ? sql<SqlBool>`(${ref} is null or ${ref} <> ${wanted})`
          : sql<SqlBool>`${ref} = ${wanted}`;
      }
      case 'number':
        return onLine(ref, op, Number(value));
      case 'date': {
        const span = parseQueryDate(value)!;
        // Stored times are ISO-8601 UTC with milliseconds (docs/data-model.md), so text order is time order.
        const start = new Date(span.start).toISOString();
        const end = new Date(span.end).toISOString();
        const test = {
          ':': sql<SqlBool>`(${ref} >= ${start} and ${ref} < ${end})`,
          '=': sql<SqlBool>`(${ref} >= ${start} and ${ref} < ${end})`,
          '!=': sql<SqlBool>`(${ref} is null or ${ref} = '' or ${ref} < ${start} or ${ref} >= ${end})`,
          '>': sql<SqlBool>`${ref} >= ${end}`,
          '>=': sql<SqlBool>`${ref} >= ${start}`,
          '<': sql<SqlBool>`(${ref} <> '' and ${ref} < ${start})`,
          '<=': sql<SqlBool>`(${ref} <> '' and ${ref} < ${end})`,
        }[op];
        return test;
      }
      case 'severity':
      case 'exploit': {
        const scale = SCALES[type]!;
        const target = NUMBER.test(value) ? Number(value) : rankOfWord(scale, value)!;
        // A number is its own rank: a numeric column is compared as it is.
        return onLine(form?.kind === 'number' ? ref : this.rank(ref, scale), op, target);
      }
    }
  }

  /** A column's rank on a scale: numbers as they are, words (and aliases) by their rank, else null. */
  private rank(ref: unknown, scale: QueryScale) {
    const words = [
      ...scale.words.map((w, i) => [w, i] as const),
      ...Object.entries(scale.aliases).map(([alias, w]) => [alias, scale.words.indexOf(w)] as const),
    ];
    const cases = sql.join(
      words.map(([w, i]) => sql`when ${w} then ${sql.lit(i)}`),
      sql` `,
    );
    const text = this.target.dialect === 'sqlite' ? sql`cast(${ref} as text)` : sql`${ref}::text`;
    const numeric =
      this.target.dialect === 'sqlite'
        ? sql`case when typeof(${ref}) in ('integer', 'real') then ${ref} when trim(${text}) glob '[0-9]*' and trim(${text}) not glob '*[^0-9.]*' then cast(trim(${text}) as real) end`
        : sql`case when trim(${text}) ~ '^\\d+(\\.\\d+)?$' then trim(${text})::double precision end`;
    return sql`coalesce(${numeric}, case lower(trim(${text})) ${cases} end)`;
  }
}

/** `value op target` where a missing value matches only `!=`, as the evaluator's onLine. */
function onLine(value: unknown, op: QueryOperator, number: number): Sql {
  // PostgreSQL types a parameter after its column: a fraction against an integer column must say
  // it is one. Whole numbers stay plain, so an index on an integer column still serves.
  const target = Number.isInteger(number) ? number : sql`cast(${number} as double precision)`;
  switch (op) {
    case ':':
    case '=':
      return sql<SqlBool>`${value} = ${target}`;
    case '!=':
      return sql<SqlBool>`(${value} is null or ${value} <> ${target})`;
    case '>':
      return sql<SqlBool>`${value} > ${target}`;
    case '>=':
      return sql<SqlBool>`${value} >= ${target}`;
    case '<':
      return sql<SqlBool>`${value} < ${target}`;
    case '<=':
      return sql<SqlBool>`${value} <= ${target}`;
  }
}

function join(parts: Sql[], word: 'and' | 'or'): Sql {
  if (parts.length === 0) return word === 'and' ? TRUE : FALSE;
  return sql<SqlBool>`(${sql.join(parts, word === 'and' ? sql` and ` : sql` or `)})`;
}

/** A LIKE pattern matching `text` literally (`\` escapes). */
function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
