import type { Insertable } from 'kysely';
import {
  type ChangeEvent,
  decideForChange,
  type FindingState,
  type FindingStatus,
} from '../../normalize/finding-lifecycle.js';
import type { NormalizedFinding } from '../../normalize/model.js';
import { chunk } from '../db/chunk.js';
import { inPostgresTransaction } from '../db/postgres-client-transaction.js';
import type { FindingTable } from '../db/schema.js';
import type { Store } from '../db/store.js';
import { CheckpointRepository } from '../runs/checkpoint-repository.js';
import type { FindingBatchContext, SnapshotBatchResult } from './finding-batch.js';
import { contentColumns, type FindingIds, newFindingColumns } from './finding-columns.js';
import {
  findingStates,
  resolveFindingIds,
  type StoredFindingKey,
  sweepUnseen,
  whereFinding,
} from './finding-repository.js';
import { PlannerStatistics, writeSnapshotBatchOnPostgres } from './postgres-snapshot-writer.js';

export interface Checkpoint {
  stream: string;
  value: unknown;
}

export interface ChangeBatchResult {
  inserted: number;
  updated: number;
  closed: number;
  skipped: number;
  reopened: number;
}

interface StoredRow extends FindingState {
  /** Whether the row is in the table (rather than about to be inserted). */
  stored: boolean;
}

/** Rows per multi-row INSERT: 25 columns × 200 rows stays under every parameter limit. */
const INSERT_CHUNK = 200;

/**
 * Writes findings in batches, each batch and its stream checkpoint in one transaction, so a run that
 * dies loses at most the batch in flight and resumes after the last one stored
 * (docs/sync.md#checkpoints-and-resume).
 */
export class FindingWriter {
  private readonly statistics = new PlannerStatistics();

  constructor(private readonly store: Store) {}

  /**
   * A batch from a full snapshot (the export files or the paged JSON export) on PostgreSQL. On SQLite
   * the full sync goes through `snapshot-session.ts` and its prepared-statement writer instead.
   */
  async writeSnapshotBatch(
    ctx: FindingBatchContext,
    findings: NormalizedFinding[],
    snapshotTime: string,
    checkpoint: Checkpoint,
  ): Promise<SnapshotBatchResult> {
    if (this.store.dialect !== 'postgres')
      throw new Error('SQLite stores snapshot batches through a snapshot session');
    const batch = dedupeFindings(findings);
    return inPostgresTransaction(this.store.pg!, async (client, trx) => {
      const result = await writeSnapshotBatchOnPostgres(client, ctx, batch, snapshotTime, this.statistics);
      await CheckpointRepository.put(trx, ctx.connectorId, checkpoint.stream, checkpoint.value, ctx.at);
      return result;
    });
  }

  /**
   * A batch of the change feed, applied in order (docs/mde-api.md#delta-feed,
   * docs/sync.md#vulnerabilities-delta).
   */
  async applyChangeBatch(
    ctx: FindingBatchContext,
    changes: Array<{ finding: NormalizedFinding; event: ChangeEvent }>,
    checkpoint: Checkpoint,
  ): Promise<ChangeBatchResult> {
    const result: ChangeBatchResult = { inserted: 0, updated: 0, closed: 0, skipped: 0, reopened: 0 };
    await this.store.db.transaction().execute(async (trx) => {
      const ids = await resolveFindingIds(
        trx,
        ctx.connectorId,
        changes.map((c) => c.finding),
      );
      const keys = new Map<string, FindingIds & { cveId: string }>();
      for (const { finding } of changes)
        keys.set(finding.findingKey, { ...ids.get(finding.findingKey)!, cveId: finding.cveId });
      const stored = await findingStates(trx, this.store.dialect, ctx.connectorId, keys);
      const keyOf = (f: NormalizedFinding): StoredFindingKey => ({
        connectorId: ctx.connectorId,
        cveId: f.cveId,
        ...ids.get(f.findingKey)!,
      });
      // Decide event by event against the state the previous events left, then write once per key.
      const pending = new Map<
        string,
        { row: StoredRow | undefined; finding: NormalizedFinding; changed: boolean }
      >();
      for (const { finding, event } of changes) {
        const known = stored.get(finding.findingKey);
        const entry = pending.get(finding.findingKey) ?? {
          row: known && { ...known, status: known.status as FindingStatus, stored: true },
          finding,
          changed: false,
        };
        const decision = decideForChange(entry.row, event);
        if (decision.action === 'skip') {
          result.skipped++;
        } else if (decision.action === 'insert') {
          entry.row = stateOf(finding, event, 'open', null, 0, false);
          entry.changed = true;
          entry.finding = finding;
          result.inserted++;
        } else if (decision.action === 'close') {
          entry.row = { ...entry.row!, status: 'fixed', lastFixed: event.time, stateTime: event.time };
          entry.changed = true;
          result.closed++;
        } else {
          const count = entry.row!.reopenedCount + (decision.reopened ? 1 : 0);
          entry.row = stateOf(finding, event, 'open', entry.row!.lastFixed, count, entry.row!.stored);
          entry.finding = finding;
          entry.changed = true;
          result.updated++;
          if (decision.reopened) result.reopened++;
        }
        pending.set(finding.findingKey, entry);
      }
      const inserts: Insertable<FindingTable>[] = [];
      for (const { row, finding, changed } of pending.values()) {
        if (!changed || !row) continue;
        if (!row.stored) {
          inserts.push({
            ...newFindingColumns(ctx, finding, row.stateTime, ids.get(finding.findingKey)!),
            status: row.status,
            lastFixed: row.lastFixed,
            reopenedCount: row.reopenedCount,
          });
          continue;
        }
        await trx
          .updateTable('findings')
          .set({
            ...(row.status === 'open' ? { ...contentColumns(ctx, finding), lastFound: row.stateTime } : {}),
            status: row.status,
            lastFixed: row.lastFixed,
            reopenedCount: row.reopenedCount,
            stateTime: row.stateTime,
            updatedAt: ctx.at,
          })
          .where(whereFinding(keyOf(finding)))
          .execute();
      }
      for (const part of chunk(inserts, INSERT_CHUNK))
        await trx.insertInto('findings').values(part).execute();
      await CheckpointRepository.put(trx, ctx.connectorId, checkpoint.stream, checkpoint.value, ctx.at);
    });
    return result;
  }

  /**
   * Closes the open findings a complete full snapshot did not contain. Only the sync engine calls
   * this, and only after it read every page and every file of that snapshot (docs/sync.md#mark-and-sweep).
   */
  async sweep(
    ctx: FindingBatchContext,
    snapshotTime: string,
    machinesSeenInRun: number,
    spareMachines: readonly string[] = [],
  ): Promise<number> {
    return sweepUnseen(this.store.db, {
      connectorId: ctx.connectorId,
      seenToken: ctx.seenToken,
      snapshotTime,
      at: ctx.at,
      machinesSeenInRun,
      spareMachines,
    });
  }
}

function stateOf(
  finding: NormalizedFinding,
  event: ChangeEvent,
  status: FindingStatus,
  lastFixed: string | null,
  reopenedCount: number,
  stored: boolean,
): StoredRow {
  return {
    stored,
    status,
    stateTime: event.time,
    rbacGroupId: event.rbacGroupId,
    lastFixed,
    reopenedCount,
    contentHash: finding.contentHash,
  };
}

/** The last finding of each key: an export may repeat a row, and a key is stored once. */
export function dedupeFindings(findings: NormalizedFinding[]): NormalizedFinding[] {
  const byKey = new Map<string, NormalizedFinding>();
  for (const f of findings) byKey.set(f.findingKey, f);
  return byKey.size === findings.length ? findings : [...byKey.values()];
}
