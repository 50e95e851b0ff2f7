import type { Insertable } from 'kysely';
import type { NormalizedMachine } from '../normalize/model.js';
import { CheckpointRepository } from './checkpoint-repository.js';
import { chunk } from './chunk.js';
import type { Checkpoint } from './finding-writer.js';
import type { Store } from './open-store.js';
import type { HostSourceTable, HostTable } from './schema.js';

export interface HostBatchContext {
  connectorId: number;
  runId: number;
  network: string;
  at: string;
  /** Devices not seen for this many days are `stale`; 0 means never (design.md 4). */
  staleDays: number;
  now: number;
}

export interface HostBatchResult {
  inserted: number;
  updated: number;
  unchanged: number;
}

/** Host status from what Defender says (design.md 3): excluded, stale or active. */
export function hostStatus(
  m: NormalizedMachine,
  staleDays: number,
  now: number,
): 'active' | 'stale' | 'excluded' {
  if (m.source.isExcluded) return 'excluded';
  if (staleDays > 0) {
    const seen = m.source.lastSeen ? Date.parse(m.source.lastSeen) : Number.NaN;
    if (Number.isNaN(seen) || now - seen > staleDays * 86_400_000) return 'stale';
  }
  return 'active';
}

function hostColumns(m: NormalizedMachine, status: string, ctx: HostBatchContext) {
  return {
    name: m.host.name,
    fqdn: m.host.fqdn,
    hostname: m.host.hostname,
    ipAddresses: JSON.stringify(m.host.ipAddresses),
    macAddresses: JSON.stringify(m.host.macAddresses),
    osPlatform: m.host.osPlatform,
    osVersion: m.host.osVersion,
    osBuild: m.host.osBuild,
    osArchitecture: m.host.osArchitecture,
    firstSeen: m.host.firstSeen,
    lastSeen: m.host.lastSeen,
    status,
    network: ctx.network,
    tags: JSON.stringify(m.host.tags),
    updatedAt: ctx.at,
  };
}

const b = (v: boolean | null) => (v === null ? null : v ? 1 : 0);

function sourceColumns(m: NormalizedMachine, ctx: HostBatchContext) {
  const s = m.source;
  return {
    aadDeviceId: s.aadDeviceId,
    computerDnsName: s.computerDnsName,
    lastIpAddress: s.lastIpAddress,
    lastExternalIpAddress: s.lastExternalIpAddress,
    agentVersion: s.agentVersion,
    healthStatus: s.healthStatus,
    deviceValue: s.deviceValue,
    rbacGroupId: s.rbacGroupId,
    rbacGroupName: s.rbacGroupName,
    riskScore: s.riskScore,
    exposureLevel: s.exposureLevel,
    isAadJoined: b(s.isAadJoined),
    onboardingStatus: s.onboardingStatus,
    machineTags: JSON.stringify(s.machineTags),
    managedBy: s.managedBy,
    isPotentialDuplication: b(s.isPotentialDuplication),
    mergedIntoMachineId: s.mergedIntoMachineId,
    isExcluded: b(s.isExcluded),
    exclusionReason: s.exclusionReason,
    defenderAvStatus: s.defenderAvStatus,
    osPlatform: s.osPlatform,
    osVersion: s.osVersion,
    osBuild: s.osBuild,
    osArchitecture: s.osArchitecture,
    ipAddresses: JSON.stringify(s.ipAddresses),
    firstSeen: s.firstSeen,
    lastSeen: s.lastSeen,
    contentHash: s.contentHash,
    seenRunId: ctx.runId,
    extra: JSON.stringify(s.extra),
    updatedAt: ctx.at,
  };
}

/**
 * Writes machines as hosts and host sources (design.md 3). One host per machine id; merged records
 * are folded into their survivor afterwards by {@link HostWriter.foldMerged}.
 */
export class HostWriter {
  constructor(private readonly store: Store) {}

  async writeBatch(
    ctx: HostBatchContext,
    machines: NormalizedMachine[],
    checkpoint: Checkpoint,
  ): Promise<HostBatchResult> {
    const result: HostBatchResult = { inserted: 0, updated: 0, unchanged: 0 };
    const byId = new Map(machines.map((m) => [m.source.machineId, m]));
    await this.store.db.transaction().execute(async (trx) => {
      const existing = new Map<
        string,
        { id: number; hostId: number; contentHash: string; lastSeen: string | null }
      >();
      for (const ids of chunk([...byId.keys()], 500)) {
        const rows = await trx
          .selectFrom('hostSources')
          .select(['id', 'hostId', 'machineId', 'contentHash', 'lastSeen'])
          .where('connectorId', '=', ctx.connectorId)
          .where('machineId', 'in', ids)
          .execute();
        for (const r of rows) {
          existing.set(r.machineId, {
            id: Number(r.id),
            hostId: Number(r.hostId),
            contentHash: r.contentHash,
            lastSeen: r.lastSeen,
          });
        }
      }
      const fresh: NormalizedMachine[] = [];
      for (const m of byId.values()) {
        const old = existing.get(m.source.machineId);
        if (!old) {
          fresh.push(m);
          continue;
        }
        const status = hostStatus(m, ctx.staleDays, ctx.now);
        if (old.contentHash === m.source.contentHash && old.lastSeen === m.source.lastSeen) {
          await trx
            .updateTable('hostSources')
            .set({ seenRunId: ctx.runId })
            .where('id', '=', old.id)
            .execute();
          await trx
            .updateTable('hosts')
            .set({ status })
            .where('id', '=', old.hostId)
            .where('status', '!=', 'merged')
            .execute();
          result.unchanged++;
          continue;
        }
        await trx.updateTable('hostSources').set(sourceColumns(m, ctx)).where('id', '=', old.id).execute();
        await trx
          .updateTable('hosts')
          .set(hostColumns(m, status, ctx))
          .where('id', '=', old.hostId)
          .where('status', '!=', 'merged')
          .execute();
        result.updated++;
      }
      for (const part of chunk(fresh, 200)) {
        const keyOf = (m: NormalizedMachine) => `mde:${ctx.connectorId}:${m.source.machineId}`;
        const hostRows: Insertable<HostTable>[] = part.map((m) => ({
          identityKey: keyOf(m),
          ...hostColumns(m, hostStatus(m, ctx.staleDays, ctx.now), ctx),
          customAttributes: '{}',
          createdAt: ctx.at,
        }));
        await trx.insertInto('hosts').values(hostRows).execute();
        const ids = await trx
          .selectFrom('hosts')
          .select(['id', 'identityKey'])
          .where('identityKey', 'in', part.map(keyOf))
          .execute();
        const hostIdByKey = new Map(ids.map((r) => [r.identityKey, Number(r.id)]));
        const sourceRows: Insertable<HostSourceTable>[] = part.map((m) => ({
          hostId: hostIdByKey.get(keyOf(m))!,
          connectorId: ctx.connectorId,
          source: 'Defender',
          machineId: m.source.machineId,
          vulnerabilityDataState: 'unknown',
          ...sourceColumns(m, ctx),
        }));
        await trx.insertInto('hostSources').values(sourceRows).execute();
        result.inserted += part.length;
      }
      await CheckpointRepository.put(trx, ctx.connectorId, checkpoint.stream, checkpoint.value, ctx.at);
    });
    return result;
  }

  /**
   * Folds records MDE merged into their survivor (mde-api.md 3.2, mergedIntoMachineId): the merged
   * record's host source moves to the survivor's host, and its own host becomes `merged`.
   */
  async foldMerged(connectorId: number, at: string): Promise<number> {
    const merged = await this.store.db
      .selectFrom('hostSources as m')
      .innerJoin('hostSources as s', (j) =>
        j.onRef('s.machineId', '=', 'm.mergedIntoMachineId').onRef('s.connectorId', '=', 'm.connectorId'),
      )
      .select(['m.id as sourceId', 'm.hostId as oldHostId', 's.hostId as survivorHostId'])
      .where('m.connectorId', '=', connectorId)
      .whereRef('m.hostId', '!=', 's.hostId')
      .execute();
    for (const r of merged) {
      await this.store.db.transaction().execute(async (trx) => {
        await trx
          .updateTable('hostSources')
          .set({ hostId: r.survivorHostId, updatedAt: at })
          .where('id', '=', r.sourceId)
          .execute();
        await trx
          .updateTable('findings')
          .set({ hostId: r.survivorHostId })
          .where('hostId', '=', r.oldHostId)
          .execute();
        await trx
          .updateTable('hosts')
          .set({ status: 'merged', updatedAt: at })
          .where('id', '=', r.oldHostId)
          .execute();
      });
    }
    return merged.length;
  }

  /** Records whether vulnerability data could be read (`ok`) or not (`not-licensed`), design.md 5. */
  async setVulnerabilityDataState(
    connectorId: number,
    state: 'ok' | 'not-licensed' | 'unknown',
  ): Promise<void> {
    await this.store.db
      .updateTable('hostSources')
      .set({ vulnerabilityDataState: state })
      .where('connectorId', '=', connectorId)
      .execute();
  }

  /** machine id → host id for a connector, to attach findings, software and alerts to hosts. */
  async hostIndex(connectorId: number, seenRunId?: number): Promise<Map<string, number>> {
    let q = this.store.db
      .selectFrom('hostSources')
      .select(['machineId', 'hostId'])
      .where('connectorId', '=', connectorId);
    // With a device filter, only the machines this run kept count; older ones are out of scope now.
    if (seenRunId !== undefined) q = q.where('seenRunId', '=', seenRunId);
    const rows = await q.execute();
    return new Map(rows.map((r) => [r.machineId, Number(r.hostId)]));
  }
}
