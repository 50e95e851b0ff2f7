import { sql, type Transaction } from 'kysely';
import { decideForSnapshot, type FindingStatus } from '../normalize/finding-lifecycle.js';
import type { NormalizedFinding } from '../normalize/model.js';
import { snakeCase } from './column-names.js';
import type { FindingBatchContext, SnapshotBatchResult } from './finding-batch.js';
import { contentColumns, newFindingColumns } from './finding-columns.js';
import type { Database } from './schema.js';

interface StoredSnapshotRow {
  id: number;
  finding_key: string;
  status: FindingStatus;
  content_hash: string;
  reopened_count: number;
}

/**
 * A batch of a full snapshot on PostgreSQL in four statements whatever its size: one lookup of the
 * batch's keys, one insert of its new findings, one update of its changed ones and one touch of the
 * unchanged. The rows travel as one JSON document that the server turns into rows of the findings
 * type (`json_populate_recordset`), rather than as 36 bound parameters a row over dozens of
 * statements: at 3 million rows, building and binding those statements was most of a full sync
 * (docs/benchmarks.md#targets). The decisions are the portable writer's (`decideForSnapshot`).
 */
export async function writeSnapshotBatchOnPostgres(
  trx: Transaction<Database>,
  ctx: FindingBatchContext,
  batch: readonly NormalizedFinding[],
  snapshotTime: string,
): Promise<SnapshotBatchResult> {
  const db = trx.withoutPlugins();
  const result: SnapshotBatchResult = { inserted: 0, updated: 0, unchanged: 0, reopened: 0 };
  const keys = batch.map((f) => f.findingKey);
  const { rows: stored } =
    await sql<StoredSnapshotRow>`SELECT id, finding_key, status, content_hash, reopened_count
    FROM findings WHERE connector_id = ${ctx.connectorId} AND finding_key = ANY(${keys}::text[])`.execute(db);
  const byKey = new Map(stored.map((r) => [r.finding_key, r]));

  const inserts: Record<string, unknown>[] = [];
  const updates: Record<string, unknown>[] = [];
  const touches: number[] = [];
  for (const f of batch) {
    const old = byKey.get(f.findingKey);
    const decision = decideForSnapshot(
      old && {
        status: old.status,
        contentHash: old.content_hash,
        reopenedCount: Number(old.reopened_count),
        stateTime: '',
        rbacGroupId: null,
        lastFixed: null,
      },
      f.contentHash,
    );
    if (decision === 'insert') {
      inserts.push(snakeCaseRow(newFindingColumns(ctx, f, snapshotTime)));
      result.inserted++;
    } else if (decision === 'touch') {
      touches.push(Number(old!.id));
      result.unchanged++;
    } else {
      const reopened = decision === 'reopen';
      updates.push(
        snakeCaseRow({
          id: Number(old!.id),
          ...contentColumns(f),
          hostId: ctx.hostIdOf(f.machineId),
          reopenedCount: Number(old!.reopened_count) + (reopened ? 1 : 0),
        }),
      );
      result.updated++;
      if (reopened) result.reopened++;
    }
  }

  if (inserts.length > 0) {
    const columns = Object.keys(inserts[0]!);
    const list = sql.raw(columns.join(', '));
    await sql`INSERT INTO findings (${list})
      SELECT ${list} FROM json_populate_recordset(NULL::findings, ${JSON.stringify(inserts)}::json)`.execute(
      db,
    );
  }
  if (updates.length > 0) {
    const set = sql.raw(
      Object.keys(updates[0]!)
        .filter((c) => c !== 'id')
        .map((c) => `${c} = r.${c}`)
        .join(', '),
    );
    await sql`UPDATE findings AS f SET ${set}, status = 'open', last_found = ${snapshotTime},
      state_time = ${snapshotTime}, seen_run_id = ${ctx.seenToken}, updated_at = ${ctx.at}
      FROM json_populate_recordset(NULL::findings, ${JSON.stringify(updates)}::json) AS r
      WHERE f.id = r.id`.execute(db);
  }
  if (touches.length > 0) {
    await sql`UPDATE findings SET seen_run_id = ${ctx.seenToken}, last_found = ${snapshotTime},
      state_time = ${snapshotTime} WHERE id = ANY(${touches}::integer[])`.execute(db);
  }
  return result;
}

const columnNames = new Map<string, string>();

/** The row with its keys as SQL column names, for `json_populate_recordset`. */
function snakeCaseRow(row: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in row) {
    let column = columnNames.get(key);
    if (column === undefined) {
      column = snakeCase(key);
      columnNames.set(key, column);
    }
    out[column] = (row as Record<string, unknown>)[key];
  }
  return out;
}
