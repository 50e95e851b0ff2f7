import {
  type DefaultQueryCompiler,
  PostgresDialect,
  PostgresQueryCompiler,
  type QueryId,
  type RootOperationNode,
} from 'kysely';

// A mixin's base class takes any constructor arguments (TypeScript's rule for mixins).
// biome-ignore lint/suspicious/noExplicitAny: see above
type CompilerClass = new (...args: any[]) => DefaultQueryCompiler;

/**
 * A dialect's Kysely compiler that writes each query's SQL as one flat string
 * (docs/architecture.md#store-engines). Kysely's own appends a few hundred pieces to a string one at
 * a time, which V8 keeps as a tree of pieces until something reads the whole text. The statement cache
 * of either database looks every query up by that text, and joining the tree then, to hash it, cost
 * more than running the cached statement of a findings read (docs/benchmarks.md#rest-api). Joined
 * once from a list, the text is flat from the start.
 */
export function flatSqlCompiler<C extends CompilerClass>(Compiler: C) {
  return class FlatSqlCompiler extends Compiler {
    private pieces: string[] = [];

    override compileQuery(node: RootOperationNode, queryId: QueryId) {
      this.pieces = [];
      return super.compileQuery(node, queryId);
    }

    protected override append(text: string): void {
      this.pieces.push(text);
    }

    protected override getSql(): string {
      return this.pieces.join('');
    }
  };
}

const FlatPostgresQueryCompiler = flatSqlCompiler(PostgresQueryCompiler);

/** Kysely's PostgreSQL dialect with {@link flatSqlCompiler}. */
export class PostgresFlatSqlDialect extends PostgresDialect {
  override createQueryCompiler(): PostgresQueryCompiler {
    return new FlatPostgresQueryCompiler();
  }
}
