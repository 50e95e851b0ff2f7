import type BetterSqlite3 from 'better-sqlite3';
import type { Transaction } from 'kysely';
import { sameColumnNames, snakeCase } from './column-names.js';
import type { Database } from './schema.js';
import type { Store } from './store.js';

type Row = Record<string, string | number | null>;
type Table = 'findings';

/**
 * `UPDATE table SET ... WHERE id = ?` for rows written one by one inside a batch transaction. On
 * SQLite one prepared statement per set of columns, kept for the writer's life: building and
 * preparing SQL for each row would be most of a delta's write time (docs/benchmarks.md). PostgreSQL goes
 * through Kysely.
 */
export class UpdateById {
  /** One statement per column list a call site writes (a handful), found by comparing the names. */
  private readonly statements: Array<{ names: string[]; statement: BetterSqlite3.Statement }> = [];

  constructor(
    private readonly store: Store,
    private readonly table: Table,
  ) {}

  async run(trx: Transaction<Database>, set: Row, id: number): Promise<void> {
    const sqlite = this.store.sqlite;
    if (!sqlite) {
      await trx.updateTable(this.table).set(set).where('id', '=', id).execute();
      return;
    }
    const names = Object.keys(set);
    let entry = this.statements.find((s) => sameColumnNames(s.names, names));
    if (!entry) {
      const statement = sqlite.prepare(
        `UPDATE ${this.table} SET ${names.map((c) => `${snakeCase(c)} = ?`).join(', ')} WHERE id = ?`,
      );
      entry = { names, statement };
      this.statements.push(entry);
    }
    entry.statement.run(...Object.values(set), id);
  }
}
