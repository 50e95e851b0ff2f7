import type { Kysely } from 'kysely';
import type { KeyedRecord } from '../../normalize/model.js';
import { chunk } from '../db/chunk.js';
import type { Database } from '../db/schema.js';
import type { Store } from '../db/store.js';
import type { Checkpoint } from '../findings/finding-writer.js';
import { CheckpointRepository } from '../runs/checkpoint-repository.js';

/** Tables keyed by (connectorId, id) or (connectorId, installKey) that the catalog streams fill. */
export type KeyedTable =
  | 'vulnerabilityDefinitions'
  | 'software'
  | 'recommendations'
  | 'alerts'
  | 'installedSoftware';

export interface KeyedBatchResult {
  inserted: number;
  updated: number;
  unchanged: number;
}

const KEY_COLUMN: Record<KeyedTable, 'id' | 'installKey'> = {
  vulnerabilityDefinitions: 'id',
  software: 'id',
  recommendations: 'id',
  alerts: 'id',
  installedSoftware: 'installKey',
};

/** Alerts follow a watermark instead of mark-and-sweep, so they carry no seen mark. */
const HAS_SEEN_MARK: Record<KeyedTable, boolean> = {
  vulnerabilityDefinitions: true,
  software: true,
  recommendations: true,
  alerts: false,
  installedSoftware: true,
};

/**
 * Upserts catalog rows by key with a content hash: new rows are inserted, changed rows rewritten,
 * unchanged rows only marked seen. The batch and its checkpoint share one transaction.
 */
export class KeyedWriter {
  constructor(private readonly store: Store) {}

  async writeBatch(
    table: KeyedTable,
    ctx: { connectorId: number; seenToken: number; at: string },
    rows: KeyedRecord[],
    checkpoint?: Checkpoint,
  ): Promise<KeyedBatchResult> {
    const result: KeyedBatchResult = { inserted: 0, updated: 0, unchanged: 0 };
    const keyColumn = KEY_COLUMN[table];
    const seen = HAS_SEEN_MARK[table];
    const unique = new Map(rows.map((r) => [r.key, r]));
    // Dynamic table names defeat Kysely's static types; the columns come from our own normalizers.
    await this.store.db.transaction().execute(async (typed) => {
      const trx = typed as unknown as Kysely<Record<string, Record<string, unknown>>>;
      const stored = new Map<string, string>();
      for (const keys of chunk([...unique.keys()], 500)) {
        const found = await trx
          .selectFrom(table)
          .select([keyColumn, 'contentHash'])
          .where('connectorId', '=', ctx.connectorId)
          .where(keyColumn, 'in', keys)
          .execute();
        for (const r of found) stored.set(String(r[keyColumn]), String(r.contentHash));
      }
      const inserts: Record<string, unknown>[] = [];
      const touched: string[] = [];
      for (const row of unique.values()) {
        const hash = stored.get(row.key);
        const full = {
          ...row.values,
          [keyColumn]: row.key,
          connectorId: ctx.connectorId,
          contentHash: row.contentHash,
          updatedAt: ctx.at,
          ...(seen ? { seenRunId: ctx.seenToken } : {}),
        };
        if (hash === undefined) {
          inserts.push(full);
          result.inserted++;
        } else if (hash !== row.contentHash) {
          await trx
            .updateTable(table)
            .set(full)
            .where('connectorId', '=', ctx.connectorId)
            .where(keyColumn, '=', row.key)
            .execute();
          result.updated++;
        } else {
          touched.push(row.key);
          result.unchanged++;
        }
      }
      const width = Math.max(1, Object.keys(inserts[0] ?? { a: 1 }).length);
      for (const part of chunk(inserts, Math.max(1, Math.floor(8000 / width)))) {
        await trx.insertInto(table).values(part).execute();
      }
      if (seen) {
        for (const keys of chunk(touched, 500)) {
          await trx
            .updateTable(table)
            // Software seen again after a pass marked it removed is present again.
            .set(
              table === 'installedSoftware'
                ? { seenRunId: ctx.seenToken, status: 'present' }
                : { seenRunId: ctx.seenToken },
            )
            .where('connectorId', '=', ctx.connectorId)
            .where(keyColumn, 'in', keys)
            .execute();
        }
      }
      if (checkpoint) {
        await CheckpointRepository.put(
          typed as unknown as Kysely<Database>,
          ctx.connectorId,
          checkpoint.stream,
          checkpoint.value,
          ctx.at,
        );
      }
    });
    return result;
  }

  /**
   * After a complete pass: rows of catalogs (definitions, software, recommendations) the source no
   * longer lists are deleted; installed software is marked `removed`. Never called after a partial pass.
   */
  async sweep(
    table: Exclude<KeyedTable, 'alerts'>,
    connectorId: number,
    seenToken: number,
    at: string,
  ): Promise<number> {
    const db = this.store.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    if (table === 'installedSoftware') {
      const r = await db
        .updateTable(table)
        .set({ status: 'removed', updatedAt: at })
        .where('connectorId', '=', connectorId)
        .where('status', '=', 'present')
        .where('seenRunId', '!=', seenToken)
        .executeTakeFirst();
      return Number(r.numUpdatedRows);
    }
    const r = await db
      .deleteFrom(table)
      .where('connectorId', '=', connectorId)
      .where('seenRunId', '!=', seenToken)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}
