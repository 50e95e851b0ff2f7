import { type Kysely, sql } from 'kysely';
import { chunk } from './chunk.js';
import type { Store } from './open-store.js';

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
 * Sets columns of many rows by key with one `UPDATE ... FROM (VALUES ...)` per batch, inside one
 * transaction: set-based on both databases (SQLite 3.33+ and PostgreSQL name VALUES columns
 * `column1`, `column2`, ...), never a statement per row over a large table.
 */
export async function bulkUpdate(
  store: Store,
  spec: BulkUpdateSpec,
  rows: unknown[][],
  batchRows = 500,
): Promise<void> {
  if (rows.length === 0) return;
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
