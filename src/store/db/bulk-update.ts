import type BetterSqlite3 from 'better-sqlite3';
import { type Kysely, sql } from 'kysely';
import { chunk } from './chunk.js';
import { forEngine, type Store } from './store.js';

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

/** Sets columns of many rows by key, inside one transaction. */
type BulkUpdater = (spec: BulkUpdateSpec, rows: unknown[][], batchRows: number) => Promise<void>;

/**
 * Sets columns of many rows by key, inside one transaction, the way the store's database does it
 * fastest (see {@link sqliteBulkUpdate} and {@link postgresBulkUpdate}).
 */
export async function bulkUpdate(
  store: Store,
  spec: BulkUpdateSpec,
  rows: unknown[][],
  batchRows = 500,
): Promise<void> {
  if (rows.length === 0) return;
  const update = forEngine<BulkUpdater>(store.engine, {
    sqlite: (sqlite) => (s, r) => sqliteBulkUpdate(sqlite, s, r),
    postgres: () => (s, r, n) => postgresBulkUpdate(store.db, s, r, n),
  });
  await update(spec, rows, batchRows);
}

/**
 * SQLite, which has no round trips: one prepared statement run per row in one transaction, the
 * fastest set-wide write (no SQL text to build per batch; docs/benchmarks.md).
 */
async function sqliteBulkUpdate(
  sqlite: BetterSqlite3.Database,
  spec: BulkUpdateSpec,
  rows: unknown[][],
): Promise<void> {
  const setList = spec.columns.map((c) => `"${c.name}" = ?`).join(', ');
  const where = spec.keys.map((k) => `"${k.name}" = ?`).join(' AND ');
  const statement = sqlite.prepare(`UPDATE "${spec.table}" SET ${setList} WHERE ${where}`);
  const k = spec.keys.length;
  sqlite.transaction(() => {
    for (const row of rows)
      statement.run(...row.slice(k).map(sqliteValue), ...row.slice(0, k).map(sqliteValue));
  })();
}

/** PostgreSQL's types of the bulk-updated columns; parameters are cast so the server knows them. */
const PG_TYPE = { text: 'text', integer: 'bigint', real: 'double precision' } as const;

/**
 * PostgreSQL: one `UPDATE ... FROM (VALUES ...)` per batch (VALUES columns are named `column1`,
 * `column2`, ...), so a round trip carries hundreds of rows.
 */
async function postgresBulkUpdate(
  kysely: Store['db'],
  spec: BulkUpdateSpec,
  rows: unknown[][],
  batchRows: number,
): Promise<void> {
  const cast = (t: BulkColumnType) => sql.raw(PG_TYPE[t]);
  const all = [...spec.keys, ...spec.columns];
  const setList = sql.join(
    spec.columns.map((c, i) => sql`${sql.id(c.name)} = v.${sql.raw(`column${spec.keys.length + i + 1}`)}`),
  );
  const where = sql.join(
    spec.keys.map((k, i) => sql`${sql.id(spec.table)}.${sql.id(k.name)} = v.${sql.raw(`column${i + 1}`)}`),
    sql` AND `,
  );
  const db = kysely.withoutPlugins() as Kysely<unknown>;
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
