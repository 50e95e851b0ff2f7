import { SqliteDialect, SqliteQueryCompiler } from 'kysely';
import { flatSqlCompiler } from './flat-sql-compiler.js';

/**
 * Kysely's SQLite dialect with every bound value written `+?` rather than `?`
 * (docs/architecture.md#stable-plans-on-sqlite).
 *
 * SQLite prepares a statement again, on its next run, whenever a value is bound to a parameter its
 * planner looked at while choosing the plan: a `LIMIT ?`, or a column compared with `= ?` in a query
 * with an ORDER BY. Its switch to plan for every value alike (the query planner stability guarantee)
 * cannot be reached through better-sqlite3. So every page read with a limit, and every host's related
 * rows read in order, was parsed and planned anew on each run, whatever statement cache held it: half
 * the SQLite time of a host's findings.
 *
 * The unary plus returns its operand unchanged, without an affinity, as a bare parameter has none:
 * comparisons, collations, inserts and index use are as before. The planner no longer reads the bound
 * value, so a statement is planned once; without statistics (the store never runs ANALYZE) the value
 * told it nothing but the size of a LIMIT.
 */
export class SqliteStablePlansDialect extends SqliteDialect {
  override createQueryCompiler(): SqliteQueryCompiler {
    return new StablePlansQueryCompiler();
  }
}

class StablePlansQueryCompiler extends flatSqlCompiler(SqliteQueryCompiler) {
  protected override getCurrentParameterPlaceholder(): string {
    return '+?';
  }
}
