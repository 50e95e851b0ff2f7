import type { Insertable, Kysely, Transaction } from 'kysely';
import {
  type ChangeEvent,
  decideForChange,
  type FindingState,
  type FindingStatus,
} from '../../normalize/finding-lifecycle.js';
import type { NormalizedFinding } from '../../normalize/model.js';
import { chunk } from '../db/chunk.js';
import { inPostgresTransaction } from '../db/postgres-client-transaction.js';
import type { Database, FindingTable } from '../db/schema.js';
import type { Store } from '../db/store.js';
import { UpdateById } from '../db/update-by-id.js';
import { CheckpointRepository } from '../runs/checkpoint-repository.js';
import type { FindingBatchContext, SnapshotBatchResult } from './finding-batch.js';
import { contentColumns, newFindingColumns } from './finding-columns.js';
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
  id: number;
  findingKey: string;
}

/** Rows per multi-row INSERT: 40 columns × 200 rows stays under every parameter limit. */
const INSERT_CHUNK = 200;
/** Keys per `IN (...)` lookup. */
const LOOKUP_CHUNK = 500;

/**
 * Writes findings in batches, each batch and its stream checkpoint in one transaction, so a run that
 * dies loses at most the batch in flight and resumes after the last one stored
 * (docs/sync.md#checkpoints-and-resume).
 */
export class FindingWriter {
  private readonly updateById: UpdateById;
  private readonly statistics = new PlannerStatistics();

  constructor(private readonly store: Store) {
    this.updateById = new UpdateById(store, 'findings');
  }

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
      const stored = await this.lookup(trx, ctx.connectorId, [
        ...new Set(changes.map((c) => c.finding.findingKey)),
      ]);
      // Decide event by event against the state the previous events left, then write once per key.
      const pending = new Map<
        string,
        { row: StoredRow | undefined; finding: NormalizedFinding; changed: boolean; fresh: boolean }
      >();
      for (const { finding, event } of changes) {
        const entry = pending.get(finding.findingKey) ?? {
          row: stored.get(finding.findingKey),
          finding,
          changed: false,
          fresh: false,
        };
        const decision = decideForChange(entry.row, event);
        if (decision.action === 'skip') {
          result.skipped++;
        } else if (decision.action === 'insert') {
          entry.row = stateOf(finding, event, 'open', null, 0);
          entry.fresh = true;
          entry.changed = true;
          entry.finding = finding;
          result.inserted++;
        } else if (decision.action === 'close') {
          entry.row = { ...entry.row!, status: 'fixed', lastFixed: event.time, stateTime: event.time };
          entry.changed = true;
          result.closed++;
        } else {
          const count = entry.row!.reopenedCount + (decision.reopened ? 1 : 0);
          entry.row = { ...stateOf(finding, event, 'open', entry.row!.lastFixed, count), id: entry.row!.id };
          entry.finding = finding;
          entry.changed = true;
          result.updated++;
          if (decision.reopened) result.reopened++;
        }
        pending.set(finding.findingKey, entry);
      }
      const inserts: Insertable<FindingTable>[] = [];
      for (const { row, finding, changed, fresh } of pending.values()) {
        if (!changed || !row) continue;
        if (fresh && !row.id) {
          inserts.push({
            ...newFindingColumns(ctx, finding, row.stateTime),
            status: row.status,
            lastFixed: row.lastFixed,
            reopenedCount: row.reopenedCount,
          });
          continue;
        }
        await this.updateById.run(
          trx,
          {
            ...(row.status === 'open' ? { ...contentColumns(ctx, finding), lastFound: row.stateTime } : {}),
            status: row.status,
            lastFixed: row.lastFixed,
            reopenedCount: row.reopenedCount,
            stateTime: row.stateTime,
            updatedAt: ctx.at,
          },
          row.id,
        );
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
    let q = this.store.db
      .updateTable('findings')
      .set({ status: 'fixed', lastFixed: snapshotTime, stateTime: snapshotTime, updatedAt: ctx.at })
      .where('connectorId', '=', ctx.connectorId)
      .where('status', '=', 'open')
      .where('seenRunId', '!=', ctx.seenToken)
      .where('stateTime', '<', snapshotTime)
      // Only devices this run listed, or devices it never knew: a device a filter now leaves out
      // keeps its findings as they were instead of having them all "fixed".
      .where(({ or, eb, exists, not, selectFrom }) =>
        or([
          eb(
            'machineId',
            'in',
            selectFrom('hostSources')
              .select('hostSources.machineId')
              .where('hostSources.connectorId', '=', ctx.connectorId)
              .where('hostSources.seenRunId', '=', machinesSeenInRun),
          ),
          not(
            exists(
              selectFrom('hostSources')
                .select('hostSources.id')
                .where('hostSources.connectorId', '=', ctx.connectorId)
                .whereRef('hostSources.machineId', '=', 'findings.machineId'),
            ),
          ),
        ]),
      );
    // Devices whose rows could not be read keep their findings open until a pass reads them.
    if (spareMachines.length > 0) q = q.where('machineId', 'not in', [...spareMachines]);
    const result = await q.executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  private async lookup(
    trx: Kysely<Database> | Transaction<Database>,
    connectorId: number,
    keys: string[],
  ): Promise<Map<string, StoredRow>> {
    const map = new Map<string, StoredRow>();
    for (const part of chunk(keys, LOOKUP_CHUNK)) {
      const rows = await trx
        .selectFrom('findings')
        .select([
          'id',
          'findingKey',
          'status',
          'stateTime',
          'rbacGroupId',
          'lastFixed',
          'reopenedCount',
          'contentHash',
        ])
        .where('connectorId', '=', connectorId)
        .where('findingKey', 'in', part)
        .execute();
      for (const r of rows) {
        map.set(r.findingKey, {
          id: Number(r.id),
          findingKey: r.findingKey,
          status: r.status as FindingStatus,
          stateTime: r.stateTime,
          rbacGroupId: r.rbacGroupId === null ? null : Number(r.rbacGroupId),
          lastFixed: r.lastFixed,
          reopenedCount: Number(r.reopenedCount),
          contentHash: r.contentHash,
        });
      }
    }
    return map;
  }
}

function stateOf(
  finding: NormalizedFinding,
  event: ChangeEvent,
  status: FindingStatus,
  lastFixed: string | null,
  reopenedCount: number,
): StoredRow {
  return {
    id: 0,
    findingKey: finding.findingKey,
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
