import type BetterSqlite3 from 'better-sqlite3';
import { decideForSnapshot, type FindingStatus } from '../../normalize/finding-lifecycle.js';
import type { SnapshotBatchResult } from './finding-batch.js';
import {
  initialValue,
  LIFECYCLE_COLUMNS,
  REWRITTEN_COLUMNS,
  SNAPSHOT_ROW_COLUMNS,
  sqlColumn,
} from './finding-columns.js';
import type { Checkpoint } from './finding-writer.js';
import { ROW, type SnapshotRow } from './snapshot-row-codec.js';

/**
 * The insert binds a row as it is: its fields are the insert's first columns, in the same order.
 * Values that are the same for every row of a batch are not bound at all: they are literals of the
 * batch's statement ({@link batchConstants}): better-sqlite3 copies every bound text twice (to UTF-8,
 * then into SQLite), so each value not bound is work saved on every row (docs/benchmarks.md).
 */
const ROW_COLUMNS = SNAPSHOT_ROW_COLUMNS.map(sqlColumn);
/** Row positions that a new finding without a value fills with the snapshot time. */
const OR_STATE_TIME = SNAPSHOT_ROW_COLUMNS.flatMap((c, i) =>
  c.from === 'finding' && c.orStateTime === true ? [i] : [],
);
/** Row positions of the columns a changed finding's row takes anew, in the update's order. */
const REWRITTEN = REWRITTEN_COLUMNS.map((c) => SNAPSHOT_ROW_COLUMNS.indexOf(c));
const REWRITTEN_SET = REWRITTEN_COLUMNS.map((c) => `${sqlColumn(c)} = ?`).join(', ');

/** A text or number as an SQL literal (quotes doubled, so any text is safe in it). */
function literal(value: string | number | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
    return String(value);
  }
  return `'${value.replace(/'/g, "''")}'`;
}

/** The columns every row of one batch shares, as literals: a new finding's lifecycle columns. */
function batchConstants(
  ctx: SnapshotWriteContext,
  snapshotTime: string,
): Array<[column: string, sql: string]> {
  return LIFECYCLE_COLUMNS.map((c) => [sqlColumn(c), literal(initialValue(c.initial, ctx, snapshotTime))]);
}

/**
 * The row as the insert binds it: a finding MDE gives no first-seen time for was first found by this
 * snapshot. The row is filled in place, so the insert binds the decoded row itself.
 */
function bindRow(r: SnapshotRow, snapshotTime: string): SnapshotRow {
  for (const i of OR_STATE_TIME) if (r[i] === null) r[i] = snapshotTime;
  return r;
}

/** Where a snapshot batch belongs; plain data, so it can cross to a writer thread. */
export interface SnapshotWriteContext {
  connectorId: number;
  seenToken: number;
  /** ISO time of this write. */
  at: string;
  /** See FindingBatchContext.firstLoad: rows are upserted without a lookup each. */
  firstLoad?: boolean;
}

interface Statements {
  lookup: BetterSqlite3.Statement;
  update: BetterSqlite3.Statement;
  scanned: BetterSqlite3.Statement;
  checkpoint: BetterSqlite3.Statement;
}

/**
 * The full-snapshot write path on SQLite with prepared statements and one synchronous transaction
 * per batch: the same decisions as the portable Kysely path, without building SQL per batch. At
 * millions of rows that difference is most of the store's time (docs/benchmarks.md#targets: lean prepared
 * statements and large transactions). It runs on the snapshot writer thread
 * (`sqlite-snapshot-worker.ts`) or inline, with the same code.
 */
export class SqliteSnapshotWriter {
  private readonly statements: Statements;
  /** The last batch's statements, and the constants they were prepared with. */
  private batch:
    | {
        key: string;
        insert: BetterSqlite3.Statement;
        insertNew: BetterSqlite3.Statement;
        touch: BetterSqlite3.Statement;
      }
    | undefined;

  constructor(private readonly db: BetterSqlite3.Database) {
    this.statements = {
      lookup: db.prepare(
        'SELECT id, status, content_hash AS contentHash, reopened_count AS reopenedCount FROM findings WHERE connector_id = ? AND finding_key = ?',
      ),
      update: db.prepare(
        `UPDATE findings SET ${REWRITTEN_SET}, status = 'open', reopened_count = ?, last_found = ?, state_time = ?, seen_run_id = ?, updated_at = ? WHERE id = ?`,
      ),
      scanned: db.prepare(
        'UPDATE host_sources SET vulnerability_seen_token = ? WHERE connector_id = ? AND machine_id = ?',
      ),
      checkpoint: db.prepare(
        'INSERT INTO sync_checkpoints (connector_id, stream, value, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (connector_id, stream) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      ),
    };
  }

  /**
   * One batch in one transaction: the devices it saw marked scanned, its findings inserted, touched
   * or rewritten, and the stream checkpoint, so a killed run resumes after the last batch stored.
   * A key repeated in the batch or the pass is stored once; the last row wins.
   */
  write(
    ctx: SnapshotWriteContext,
    rows: Iterable<SnapshotRow>,
    scannedMachineIds: readonly string[],
    snapshotTime: string,
    checkpoint: Checkpoint,
  ): SnapshotBatchResult {
    const s = this.statements;
    const batch = this.batchStatements(ctx, snapshotTime);
    const result: SnapshotBatchResult = { inserted: 0, updated: 0, unchanged: 0, reopened: 0 };
    this.db.transaction(() => {
      for (const machineId of scannedMachineIds) s.scanned.run(ctx.seenToken, ctx.connectorId, machineId);
      for (const r of rows) {
        // A first load (see FindingBatchContext.firstLoad) tries the insert first, which saves a
        // search of the finding-key index per row (docs/benchmarks.md#targets); only a key this pass already
        // stored is looked up. (INSERT OR IGNORE needs no statement journal; an upsert does, and
        // costs more than the lookup it saves.)
        if (ctx.firstLoad && batch.insertNew.run(bindRow(r, snapshotTime)).changes === 1) {
          result.inserted++;
          continue;
        }
        const stored = s.lookup.get(ctx.connectorId, r[ROW.findingKey]) as
          | { id: number; status: FindingStatus; contentHash: string; reopenedCount: number }
          | undefined;
        const decision = decideForSnapshot(
          stored && { ...stored, stateTime: '', rbacGroupId: null, lastFixed: null },
          r[ROW.contentHash] as string,
        );
        if (decision === 'insert') {
          batch.insert.run(bindRow(r, snapshotTime));
          result.inserted++;
        } else if (decision === 'touch') {
          batch.touch.run(stored!.id);
          result.unchanged++;
        } else {
          const reopened = decision === 'reopen';
          const values: unknown[] = new Array(REWRITTEN.length);
          for (let k = 0; k < REWRITTEN.length; k++) values[k] = r[REWRITTEN[k]!];
          s.update.run(
            values,
            stored!.reopenedCount + (reopened ? 1 : 0),
            snapshotTime,
            snapshotTime,
            ctx.seenToken,
            ctx.at,
            stored!.id,
          );
          result.updated++;
          if (reopened) result.reopened++;
        }
      }
      s.checkpoint.run(ctx.connectorId, checkpoint.stream, JSON.stringify(checkpoint.value), ctx.at);
    })();
    return result;
  }

  /**
   * The insert and the touch for a batch's constants. The write time is one of them, so in a sync
   * they are prepared once per batch of 10,000 rows (a few statements against 10,000 executions).
   */
  private batchStatements(ctx: SnapshotWriteContext, snapshotTime: string) {
    const constants = batchConstants(ctx, snapshotTime);
    const key = constants.map(([, sql]) => sql).join(',');
    if (this.batch?.key !== key) {
      const columns = [...ROW_COLUMNS, ...constants.map(([c]) => c)];
      const values = [...ROW_COLUMNS.map(() => '?'), ...constants.map(([, sql]) => sql)];
      const seen = literal(ctx.seenToken);
      const time = literal(snapshotTime);
      const insert = `INSERT INTO findings (${columns.join(', ')}) VALUES (${values.join(', ')})`;
      this.batch = {
        key,
        insert: this.db.prepare(insert),
        // A first load's insert: a key this pass stored already is skipped here, then looked up.
        insertNew: this.db.prepare(insert.replace('INSERT INTO', 'INSERT OR IGNORE INTO')),
        touch: this.db.prepare(
          `UPDATE findings SET seen_run_id = ${seen}, last_found = ${time}, state_time = ${time} WHERE id = ?`,
        ),
      };
    }
    return this.batch;
  }
}
