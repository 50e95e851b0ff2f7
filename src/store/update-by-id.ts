import type BetterSqlite3 from 'better-sqlite3';
import type { Transaction } from 'kysely';
import type { Store } from './open-store.js';
import type { Database } from './schema.js';

type Row = Record<string, string | number | null>;
type Table = 'findings';

const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * `UPDATE table SET ... WHERE id = ?` for rows written one by one inside a batch transaction. On
 * SQLite one prepared statement per set of columns, kept for the writer's life: building and
 * preparing SQL for each row costs ~100 µs, most of a delta's write time at thousands of changes
 * (design.md 7). PostgreSQL goes through Kysely.
 */
export class UpdateById {
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

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
    const columns = Object.keys(set);
    const key = columns.join(',');
    let statement = this.statements.get(key);
    if (!statement) {
      statement = sqlite.prepare(
        `UPDATE ${this.table} SET ${columns.map((c) => `${snake(c)} = ?`).join(', ')} WHERE id = ?`,
      );
      this.statements.set(key, statement);
    }
    statement.run(...Object.values(set), id);
  }
}
