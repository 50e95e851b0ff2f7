import { type Kysely, sql } from 'kysely';
import { chunk } from './chunk.js';
import type { Store } from './store.js';

/** SQL type of a bulk-updated column; parameters are cast so PostgreSQL knows their types. */
export type BulkColumnType = 'text' | 'integer' | 'real';

export interface BulkUpdateSpec {
  /** snake_case table name. */
  table: string;
  /** snake_case key columns matched against the first values of each row. */
  keys: Array<{ name: string; type: BulkColumnType }>;
  /** snake_case columns set from the remaining values, in order. */
  columns: Array<{ name: string; type: BulkColumnType }>;
}

/**
 * Sets columns of many rows by key, inside one transaction: on PostgreSQL one
 * `UPDATE ... FROM (VALUES ...)` per batch (VALUES columns are named `column1`, `column2`, ...), so a
 * round trip carries hundreds of rows; on SQLite, which has no round trips, one prepared statement
 * run per row.
 */
export async function bulkUpdate(
  store: Store,
  spec: BulkUpdateSpec,
  rows: unknown[][],
  batchRows = 500,
): Promise<void> {
  if (rows.length === 0) return;
  if (store.sqlite) {
    // SQLite: one prepared statement in one transaction is the fastest set-wide write (no SQL text
    // to build per batch; docs/benchmarks.md).
    const setList = spec.columns.map((c) => `"${c.name}" = ?`).join(', ');
    const where = spec.keys.map((k) => `"${k.name}" = ?`).join(' AND ');
    const statement = store.sqlite.prepare(`UPDATE "${spec.table}" SET ${setList} WHERE ${where}`);
    const k = spec.keys.length;
    store.sqlite.transaction(() => {
      for (const row of rows)
        statement.run(...row.slice(k).map(sqliteValue), ...row.slice(0, k).map(sqliteValue));
    })();
    return;
  }
  const pgType = { text: 'text', integer: 'bigint', real: 'double precision' } as const;
  const cast = (t: BulkColumnType) => sql.raw(store.dialect === 'postgres' ? pgType[t] : t);
  const all = [...spec.keys, ...spec.columns];
  const setList = sql.join(
    spec.columns.map((c, i) => sql`${sql.id(c.name)} = v.${sql.raw(`column${spec.keys.length + i + 1}`)}`),
  );
  const where = sql.join(
    spec.keys.map((k, i) => sql`${sql.id(spec.table)}.${sql.id(k.name)} = v.${sql.raw(`column${i + 1}`)}`),
    sql` AND `,
  );
  const db = store.db.withoutPlugins() as Kysely<unknown>;
  await db.transaction().execute(async (trx) => {
    for (const part of chunk(rows, batchRows)) {
      const values = sql.join(
        part.map(
          (row) => sql`(${sql.join(all.map((c, i) => sql`CAST(${row[i] ?? null} AS ${cast(c.type)})`))})`,
        ),
      );
      await sql`UPDATE ${sql.id(spec.table)} SET ${setList} FROM (VALUES ${values}) AS v WHERE ${where}`.execute(
        trx,
      );
    }
  });
}

/** better-sqlite3 binds numbers, strings, bigints, buffers and null; nothing else reaches here. */
function sqliteValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return v;
}
