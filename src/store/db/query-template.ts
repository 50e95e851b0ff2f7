import { type Compilable, type CompiledQuery, createQueryId } from 'kysely';
import type { Store } from './store.js';

/** Stands for the value at `index` of a template's run while its query is compiled; never bound. */
class Slot {
  constructor(readonly index: number) {}
}

/** A template's query as compiled for one database handle. */
interface CompiledTemplate {
  sql: string;
  query: CompiledQuery['query'];
  /** The compiled query's bound values: a run's value where a slot stood, else the value written. */
  parameters: readonly unknown[];
  /** For each bound value, the index of the run's value that takes its place, or -1 for a constant. */
  slots: readonly number[];
  /** How many values a run gives. */
  arity: number;
}

/**
 * Reads whose SQL is compiled once per database handle and shape, then run with new values
 * (docs/architecture.md#query-templates). Building and compiling a query with Kysely costs more than
 * running a cached statement of a small read on either database, and a host's details run nine.
 *
 * `build` is called once per handle and shape key, with a stand-in for each value, and keeps this
 * rule: the values may only be bound (an operand of a comparison, a limit), never decide the query's
 * shape, and each stands for one value, never a list. Values `build` writes itself are bound as
 * written on every run. The key names everything else the shape depends on; shapes must be few (a
 * template is kept for each key asked for, as long as its handle lives).
 */
export class QueryTemplates<Shape> {
  // Per handle: a transaction's handle, or another store's, may compile differently.
  private readonly compiled = new WeakMap<object, Map<string, CompiledTemplate>>();

  constructor(
    private readonly keyOf: (shape: Shape) => string,
    private readonly build: (store: Store, shape: Shape, values: unknown[]) => Compilable<unknown>,
  ) {}

  /** The rows of the read of `shape`, run with `values` (as many as that read binds, in its order). */
  async run<Row = Record<string, unknown>>(store: Store, shape: Shape, values: unknown[]): Promise<Row[]> {
    let byKey = this.compiled.get(store.db);
    if (!byKey) {
      byKey = new Map();
      this.compiled.set(store.db, byKey);
    }
    const key = this.keyOf(shape);
    let template = byKey.get(key);
    if (!template) {
      const slots = values.map((_, i) => new Slot(i));
      template = compileTemplate(this.build(store, shape, slots), values.length);
      byKey.set(key, template);
    }
    if (values.length !== template.arity)
      throw new Error(`the read "${key}" takes ${template.arity} values, not ${values.length}`);
    return (await store.db.executeQuery<Row>(bind(template, values))).rows;
  }
}

/**
 * A read of one shape, compiled once per database handle and run with new values: {@link QueryTemplates}
 * with a single key. `build` takes a stand-in for each value and keeps that class's rule.
 */
export function queryTemplate<Values extends unknown[], Row>(
  build: (store: Store, ...values: Values) => Compilable<Row>,
): (store: Store, ...values: Values) => Promise<Row[]> {
  const templates = new QueryTemplates<null>(
    () => '',
    (store, _shape, values) => build(store, ...(values as Values)),
  );
  return (store, ...values) => templates.run<Row>(store, null, values);
}

function compileTemplate(query: Compilable<unknown>, arity: number): CompiledTemplate {
  const { sql, parameters, query: node } = query.compile();
  return {
    sql,
    query: node,
    parameters,
    slots: parameters.map((p) => (p instanceof Slot ? p.index : -1)),
    arity,
  };
}

function bind(template: CompiledTemplate, values: readonly unknown[]): CompiledQuery<never> {
  const parameters = template.parameters.map((p, i) => {
    const slot = template.slots[i]!;
    return slot < 0 ? p : values[slot];
  });
  return { sql: template.sql, query: template.query, parameters, queryId: createQueryId() };
}
