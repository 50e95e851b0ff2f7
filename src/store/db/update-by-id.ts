import type BetterSqlite3 from 'better-sqlite3';
import type { Transaction } from 'kysely';
import { sameColumnNames, snakeCase } from './column-names.js';
import type { Database } from './schema.js';
import { forEngine, type Store } from './store.js';

type Row = Record<string, string | number | null>;
type Table = 'findings';

/** Writes one row's columns by id, inside the caller's batch transaction. */
interface RowUpdater {
  run(trx: Transaction<Database>, set: Row, id: number): Promise<void>;
}

/**
 * `UPDATE table SET ... WHERE id = ?` for rows written one by one inside a batch transaction, the
 * database's way chosen once, when the writer is built: prepared statements on SQLite, Kysely on
 * PostgreSQL.
 */
export class UpdateById {
  private readonly updater: RowUpdater;

  constructor(store: Store, table: Table) {
    this.updater = forEngine<RowUpdater>(store.engine, {
      sqlite: (sqlite) => new SqliteUpdateById(sqlite, table),
      postgres: () => new KyselyUpdateById(table),
    });
  }

  run(trx: Transaction<Database>, set: Row, id: number): Promise<void> {
    return this.updater.run(trx, set, id);
  }
}

/**
 * SQLite: one prepared statement per set of columns, kept for the writer's life; building and
 * preparing SQL for each row would be most of a delta's write time (docs/benchmarks.md). It runs on
 * the connection the transaction holds (better-sqlite3 has one).
 */
class SqliteUpdateById implements RowUpdater {
  /** One statement per column list a call site writes (a handful), found by comparing the names. */
  private readonly statements: Array<{ names: string[]; statement: BetterSqlite3.Statement }> = [];

  constructor(
    private readonly sqlite: BetterSqlite3.Database,
    private readonly table: Table,
  ) {}

  async run(_trx: Transaction<Database>, set: Row, id: number): Promise<void> {
    const names = Object.keys(set);
    let entry = this.statements.find((s) => sameColumnNames(s.names, names));
    if (!entry) {
      const statement = this.sqlite.prepare(
        `UPDATE ${this.table} SET ${names.map((c) => `${snakeCase(c)} = ?`).join(', ')} WHERE id = ?`,
      );
      entry = { names, statement };
      this.statements.push(entry);
    }
    entry.statement.run(...Object.values(set), id);
  }
}

/** PostgreSQL: through Kysely, in the batch's transaction. */
class KyselyUpdateById implements RowUpdater {
  constructor(private readonly table: Table) {}

  async run(trx: Transaction<Database>, set: Row, id: number): Promise<void> {
    await trx.updateTable(this.table).set(set).where('id', '=', id).execute();
  }
}
