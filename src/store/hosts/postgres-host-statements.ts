import { type Insertable, type Kysely, sql, type Transaction, type Updateable } from 'kysely';
import type { HostStatus } from '../../normalize/host-status.js';
import { chunk } from '../db/chunk.js';
import { snakeCase } from '../db/column-names.js';
import type { Database, HostSourceTable, HostTable } from '../db/schema.js';
import { newestSourceOfHost } from './host-identity.js';
import type {
  ExistingSource,
  HostStatements,
  JoiningSource,
  MergedSource,
  OwnSource,
} from './host-statements.js';
import { type LastSeenTouch, touchLastSeenInBulk } from './last-seen-touches.js';

/** Rows per multi-row insert of new hosts and sources. */
const INSERT_ROWS = 200;

/**
 * The host writer's statements on PostgreSQL, through Kysely: every round trip costs, so a batch's
 * rows travel in multi-row statements (500 machine ids per lookup, 200 rows per insert, one
 * `UPDATE ... FROM VALUES` per page of hosts).
 */
export class PostgresHostStatements implements HostStatements {
  constructor(private readonly db: Kysely<Database>) {}

  async existing(
    trx: Transaction<Database>,
    connectorId: number,
    machineIds: readonly string[],
  ): Promise<Map<string, ExistingSource>> {
    const existing = new Map<string, ExistingSource>();
    for (const ids of chunk(machineIds, 500)) {
      const rows = await trx
        .selectFrom('hostSources')
        .innerJoin('hosts', 'hosts.id', 'hostSources.hostId')
        .select([
          'hostSources.id',
          'hostSources.hostId',
          'hostSources.machineId',
          'hostSources.contentHash',
          'hostSources.lastSeen',
          'hosts.status as hostStatus',
          (eb) =>
            eb
              .selectFrom('hostSources as o')
              .select((o) => o.fn.countAll<string | number>().as('n'))
              .whereRef('o.hostId', '=', 'hostSources.hostId')
              .as('sourceCount'),
        ])
        .where('hostSources.connectorId', '=', connectorId)
        .where('hostSources.machineId', 'in', ids)
        .execute();
      for (const r of rows) {
        existing.set(r.machineId, {
          id: Number(r.id),
          hostId: Number(r.hostId),
          contentHash: r.contentHash,
          lastSeen: r.lastSeen,
          hostStatus: r.hostStatus,
          sourceCount: Number(r.sourceCount ?? 1),
        });
      }
    }
    return existing;
  }

  async sourceCount(source: ExistingSource): Promise<number> {
    return source.sourceCount ?? 1;
  }

  async setHostStatus(
    trx: Transaction<Database>,
    hostId: number,
    sourceId: number,
    lastSeen: string | null,
    status: HostStatus,
    at: string,
  ): Promise<void> {
    await trx
      .updateTable('hosts')
      .set({ status, updatedAt: at })
      .where('id', '=', hostId)
      .where(newestSourceOfHost(sourceId, lastSeen))
      .execute();
  }

  async markSeen(trx: Transaction<Database>, runId: number, sourceIds: readonly number[]): Promise<void> {
    for (const ids of chunk(sourceIds, 500)) {
      await trx.updateTable('hostSources').set({ seenRunId: runId }).where('id', 'in', ids).execute();
    }
  }

  async updateSource(
    trx: Transaction<Database>,
    id: number,
    values: Partial<Insertable<HostSourceTable>>,
  ): Promise<void> {
    await trx.updateTable('hostSources').set(values).where('id', '=', id).execute();
  }

  async updateHost(
    trx: Transaction<Database>,
    hostId: number,
    sourceId: number,
    columns: Updateable<HostTable>,
    lastSeen: string | null,
  ): Promise<void> {
    await trx
      .updateTable('hosts')
      .set(columns)
      .where('id', '=', hostId)
      .where('status', '!=', 'merged')
      .where(newestSourceOfHost(sourceId, lastSeen))
      .execute();
  }

  touchLastSeen(trx: Transaction<Database>, runId: number, touches: readonly LastSeenTouch[]): Promise<void> {
    return touchLastSeenInBulk(trx, runId, touches);
  }

  async insertJoining(trx: Transaction<Database>, rows: readonly JoiningSource[]): Promise<number[]> {
    const ids: number[] = [];
    for (const part of chunk(rows, INSERT_ROWS)) {
      const added = await trx
        .insertInto('hostSources')
        .values(part.map((r) => r.source))
        .returning(['id', 'machineId'])
        .execute();
      const sourceIdOf = new Map(added.map((r) => [r.machineId, Number(r.id)]));
      const sourceIds = part.map((r) => sourceIdOf.get(r.source.machineId)!);
      await updateHostsBulk(trx, part, sourceIds);
      ids.push(...sourceIds);
    }
    return ids;
  }

  async insertOwn(
    trx: Transaction<Database>,
    rows: readonly OwnSource[],
  ): Promise<Array<{ hostId: number; sourceId: number }>> {
    const out: Array<{ hostId: number; sourceId: number }> = [];
    for (const part of chunk(rows, INSERT_ROWS)) {
      await trx
        .insertInto('hosts')
        .values(part.map((r) => r.host))
        .execute();
      const ids = await trx
        .selectFrom('hosts')
        .select(['id', 'identityKey'])
        .where(
          'identityKey',
          'in',
          part.map((r) => r.host.identityKey),
        )
        .execute();
      const hostIdByKey = new Map(ids.map((r) => [r.identityKey, Number(r.id)]));
      const hostIds = part.map((r) => hostIdByKey.get(r.host.identityKey)!);
      const sources = part.map((r, i) => r.source(hostIds[i]!));
      const added = await trx
        .insertInto('hostSources')
        .values(sources)
        .returning(['id', 'machineId'])
        .execute();
      const sourceIdOf = new Map(added.map((r) => [r.machineId, Number(r.id)]));
      sources.forEach((s, i) => {
        out.push({ hostId: hostIds[i]!, sourceId: sourceIdOf.get(s.machineId)! });
      });
    }
    return out;
  }

  async mergedToFold(connectorId: number): Promise<MergedSource[]> {
    return await this.db
      .selectFrom('hostSources as m')
      .innerJoin('hostSources as s', (j) =>
        j.onRef('s.machineId', '=', 'm.mergedIntoMachineId').onRef('s.connectorId', '=', 'm.connectorId'),
      )
      .select(['m.id as sourceId', 'm.hostId as oldHostId', 's.hostId as survivorHostId'])
      .where('m.connectorId', '=', connectorId)
      .whereRef('m.hostId', '!=', 's.hostId')
      .execute();
  }

  async hostIndex(connectorId: number, seenSinceRunId?: number): Promise<Map<string, number>> {
    let q = this.db
      .selectFrom('hostSources')
      .select(['machineId', 'hostId'])
      .where('connectorId', '=', connectorId);
    if (seenSinceRunId !== undefined) q = q.where('seenRunId', '>=', seenSinceRunId);
    const rows = await q.execute();
    return new Map(rows.map((r) => [r.machineId, Number(r.hostId)]));
  }
}

/**
 * The hosts a page of new sources attached to, updated in one statement (UPDATE ... FROM VALUES)
 * under the rule {@link PostgresHostStatements.updateHost} keeps row by row: not `merged`, and no
 * other source of the host seen later. Each host appears once per page (one source per host per batch).
 */
async function updateHostsBulk(
  trx: Transaction<Database>,
  rows: readonly JoiningSource[],
  sourceIds: readonly number[],
): Promise<void> {
  if (rows.length === 0) return;
  const names = Object.keys(rows[0]!.host).map(snakeCase);
  const values = sql.join(
    rows.map(
      (r, i) => sql`(${sql.join([r.hostId, sourceIds[i]!, r.lastSeen ?? '', ...Object.values(r.host)])})`,
    ),
  );
  await sql`
    UPDATE hosts AS h SET ${sql.join(names.map((n) => sql`${sql.id(n)} = ${sql.ref(`v.${n}`)}`))}
    FROM (VALUES ${values}) AS v(host_id, source_id, seen, ${sql.join(names.map((n) => sql.id(n)))})
    WHERE h.id = CAST(v.host_id AS integer) AND h.status != 'merged' AND NOT EXISTS (
      SELECT 1 FROM host_sources o
      WHERE o.host_id = h.id AND o.id != CAST(v.source_id AS integer) AND o.last_seen > v.seen)`.execute(trx);
}
