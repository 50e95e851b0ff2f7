import { sql, type Transaction } from 'kysely';
import { decideForSnapshot, type FindingStatus } from '../../normalize/finding-lifecycle.js';
import type { NormalizedFinding } from '../../normalize/model.js';
import type { Database } from '../db/schema.js';
import type { FindingBatchContext, SnapshotBatchResult } from './finding-batch.js';
import { FindingRowBuilder, INSERTED_COLUMNS, REWRITTEN_COLUMNS, sqlColumn } from './finding-columns.js';

/** Rows with SQL column names, for `json_populate_recordset`. */
const rows = new FindingRowBuilder('sql');
const INSERT_LIST = sql.raw(INSERTED_COLUMNS.map((c) => sqlColumn({ column: c })).join(', '));
const UPDATE_SET = sql.raw(
  [...REWRITTEN_COLUMNS.map(sqlColumn), 'reopened_count'].map((c) => `${c} = r.${c}`).join(', '),
);

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
      inserts.push(rows.newValues(ctx, f, snapshotTime));
      result.inserted++;
    } else if (decision === 'touch') {
      touches.push(Number(old!.id));
      result.unchanged++;
    } else {
      const reopened = decision === 'reopen';
      const update = rows.rewrittenValues(ctx, f, { id: Number(old!.id) });
      update.reopened_count = Number(old!.reopened_count) + (reopened ? 1 : 0);
      updates.push(update);
      result.updated++;
      if (reopened) result.reopened++;
    }
  }

  if (inserts.length > 0) {
    await sql`INSERT INTO findings (${INSERT_LIST})
      SELECT ${INSERT_LIST} FROM json_populate_recordset(NULL::findings, ${JSON.stringify(inserts)}::json)`.execute(
      db,
    );
  }
  if (updates.length > 0) {
    await sql`UPDATE findings AS f SET ${UPDATE_SET}, status = 'open', last_found = ${snapshotTime},
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
