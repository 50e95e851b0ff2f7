import type { Insertable, Transaction } from 'kysely';
import { customAttributesText } from '../../normalize/custom-fields.js';
import type { HostStatus } from '../../normalize/host-status.js';
import {
  DEFAULT_IDENTIFICATION_RULES,
  type IdentificationRule,
} from '../../normalize/identification-rules.js';
import type { NormalizedMachine } from '../../normalize/model.js';
import { chunk } from '../db/chunk.js';
import type { Database, HostSourceTable } from '../db/schema.js';
import { forEngine, type Store } from '../db/store.js';
import type { Checkpoint } from '../findings/finding-writer.js';
import { CheckpointRepository } from '../runs/checkpoint-repository.js';
import { HostIdentity } from './host-identity.js';
import { hostIdentityKey } from './host-identity-key.js';
import type { HostStatements, OwnSource } from './host-statements.js';
import type { LastSeenTouch } from './last-seen-touches.js';
import { PostgresHostStatements } from './postgres-host-statements.js';
import { forgetProfileFreshness, noteProfileInputsChanged } from './profile-freshness.js';
import { SqliteHostStatements } from './sqlite-host-statements.js';

export interface HostBatchContext {
  connectorId: number;
  runId: number;
  network: string;
  at: string;
  /** Devices not seen for this many days are `stale`; 0 means never (docs/data-model.md#connector). */
  staleDays: number;
  now: number;
  /** Which existing host a new machine is; the defaults when absent. */
  identificationRules?: readonly IdentificationRule[];
}

export interface HostBatchResult {
  inserted: number;
  updated: number;
  unchanged: number;
  /** New devices not imported because they are past the stale threshold. */
  skipped: number;
  /** New devices attached to a host another connector reports (identification rules). */
  matched?: number;
}

/** Whether a device has not reported for `staleDays` (0: never stale). */
export function isStale(m: NormalizedMachine, staleDays: number, now: number): boolean {
  if (staleDays <= 0) return false;
  const seen = m.source.lastSeen ? Date.parse(m.source.lastSeen) : Number.NaN;
  return Number.isNaN(seen) || now - seen > staleDays * 86_400_000;
}

/** Host status from what Defender says (docs/data-model.md#host): excluded, stale or active. */
export function hostStatus(
  m: NormalizedMachine,
  staleDays: number,
  now: number,
): 'active' | 'stale' | 'excluded' {
  if (m.source.isExcluded) return 'excluded';
  return isStale(m, staleDays, now) ? 'stale' : 'active';
}

function hostColumns(m: NormalizedMachine, status: HostStatus, ctx: HostBatchContext) {
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
    privateIpAddresses: JSON.stringify(m.host.privateIpAddresses),
    publicIpAddresses: JSON.stringify(m.host.publicIpAddresses),
    privateDnsNames: JSON.stringify(m.host.privateDnsNames),
    publicDnsNames: JSON.stringify(m.host.publicDnsNames),
    instanceId: m.host.instanceId,
    customAttributes: customAttributesText(m.host.customAttributes),
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
    osProcessor: s.osProcessor,
    version: s.version,
    managedByStatus: s.managedByStatus,
    vmMetadata: s.vmMetadata === null ? null : JSON.stringify(s.vmMetadata),
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
 * Writes machines as hosts and host sources (docs/data-model.md#host). A new machine joins the host another
 * connector reports when the identification rules say so, else it gets a host of its own;
 * a source keeps its host once attached. Host columns follow the most recently seen source. Merged
 * records are folded into their survivor afterwards by {@link HostWriter.foldMerged}.
 */
export class HostWriter {
  private readonly identity: HostIdentity;
  /** Hosts of one run whose profile inputs changed; a superset (a failed batch's hosts) is harmless. */
  private profileChanges: { connectorId: number; runId: number; hosts: Set<number> } | undefined;
  /** The store's database's way of writing hosts (docs/benchmarks.md#targets), chosen once. */
  private readonly statements: HostStatements;

  constructor(private readonly store: Store) {
    this.identity = new HostIdentity(store);
    this.statements = forEngine<HostStatements>(store.engine, {
      sqlite: (sqlite) => new SqliteHostStatements(sqlite),
      postgres: () => new PostgresHostStatements(store.db),
    });
  }

  async writeBatch(
    ctx: HostBatchContext,
    machines: NormalizedMachine[],
    checkpoint: Checkpoint,
  ): Promise<HostBatchResult> {
    const result: HostBatchResult = { inserted: 0, updated: 0, unchanged: 0, skipped: 0 };
    const byId = new Map(machines.map((m) => [m.source.machineId, m]));
    await this.store.db.transaction().execute(async (trx) => {
      const existing = await this.statements.existing(trx, ctx.connectorId, [...byId.keys()]);
      /** Unchanged sources are only marked seen, in bulk: at 100,000 devices one statement each is most of a run. */
      const unchanged: number[] = [];
      /** Hosts whose profile inputs (the connector's sources, newest first) this batch changes. */
      const profileHosts: number[] = [];
      const fresh: NormalizedMachine[] = [];
      const changed: Array<{ sourceId: number; machine: NormalizedMachine }> = [];
      const touches: LastSeenTouch[] = [];
      for (const m of byId.values()) {
        const old = existing.get(m.source.machineId);
        if (!old) {
          // With a stale threshold, devices that have not checked in are not imported;
          // ones imported earlier stay, marked stale.
          if (isStale(m, ctx.staleDays, ctx.now)) {
            result.skipped++;
            continue;
          }
          fresh.push(m);
          continue;
        }
        const status = hostStatus(m, ctx.staleDays, ctx.now);
        if (old.contentHash === m.source.contentHash && old.lastSeen === m.source.lastSeen) {
          unchanged.push(old.id);
          // Time alone can make a device stale; merged hosts keep their status.
          if (old.hostStatus !== status && old.hostStatus !== 'merged') {
            await this.statements.setHostStatus(trx, old.hostId, old.id, m.source.lastSeen, status, ctx.at);
          }
          result.unchanged++;
          continue;
        }
        if (old.contentHash === m.source.contentHash) {
          // Only the daily report time moved (docs/mde-api.md#lastseen: lastSeen is the ~24 h full report).
          if ((await this.statements.sourceCount(old)) > 1) {
            // A host several sources feed: the one seen last writes all its columns (README).
            profileHosts.push(old.hostId);
            await this.statements.updateSource(trx, old.id, {
              lastSeen: m.source.lastSeen,
              seenRunId: ctx.runId,
            });
            await this.updateHost(trx, old.hostId, old.id, m, status, ctx);
            result.unchanged++;
            continue;
          }
          // Merged hosts keep their status.
          touches.push({
            sourceId: old.id,
            hostId: old.hostId,
            lastSeen: m.source.lastSeen,
            status: old.hostStatus === 'merged' ? 'merged' : status,
          });
          result.unchanged++;
          continue;
        }
        await this.statements.updateSource(trx, old.id, sourceColumns(m, ctx));
        await this.updateHost(trx, old.hostId, old.id, m, status, ctx);
        changed.push({ sourceId: old.id, machine: m });
        profileHosts.push(old.hostId);
        result.updated++;
      }
      await this.statements.touchLastSeen(trx, ctx.runId, touches);
      await this.statements.markSeen(trx, ctx.runId, unchanged);
      await this.identity.replace(trx, changed);
      // A new machine another connector already reports joins that host.
      const matches = await this.identity.resolve(
        trx,
        ctx.connectorId,
        ctx.identificationRules ?? DEFAULT_IDENTIFICATION_RULES,
        fresh,
      );
      const newSource = (m: NormalizedMachine, hostId: number): Insertable<HostSourceTable> => ({
        hostId,
        connectorId: ctx.connectorId,
        source: 'Defender',
        machineId: m.source.machineId,
        vulnerabilityDataState: 'unknown',
        ...sourceColumns(m, ctx),
      });
      const newHost = (m: NormalizedMachine): OwnSource['host'] => ({
        identityKey: hostIdentityKey(ctx.connectorId, m.source.machineId),
        ...hostColumns(m, hostStatus(m, ctx.staleDays, ctx.now), ctx),
        createdAt: ctx.at,
      });
      const joining = fresh.filter((m) => matches.has(m.source.machineId));
      const own = fresh.filter((m) => !matches.has(m.source.machineId));
      const joinedIds = await this.statements.insertJoining(
        trx,
        joining.map((m) => {
          const hostId = matches.get(m.source.machineId)!.hostId;
          return {
            hostId,
            source: newSource(m, hostId),
            host: hostColumns(m, hostStatus(m, ctx.staleDays, ctx.now), ctx),
            lastSeen: m.source.lastSeen,
          };
        }),
      );
      const ownIds = await this.statements.insertOwn(
        trx,
        own.map((m) => ({ host: newHost(m), source: (hostId: number) => newSource(m, hostId) })),
      );
      const added: Array<{ sourceId: number; machine: NormalizedMachine }> = [];
      joining.forEach((m, i) => {
        profileHosts.push(matches.get(m.source.machineId)!.hostId);
        added.push({ sourceId: joinedIds[i]!, machine: m });
      });
      own.forEach((m, i) => {
        profileHosts.push(ownIds[i]!.hostId);
        added.push({ sourceId: ownIds[i]!.sourceId, machine: m });
      });
      await this.identity.add(trx, added);
      result.inserted += added.length;
      if (joining.length > 0) result.matched = (result.matched ?? 0) + joining.length;
      if (profileHosts.length > 0) {
        await noteProfileInputsChanged(trx, ctx.connectorId, ctx.runId, ctx.at);
        this.recordProfileHosts(ctx.connectorId, ctx.runId, profileHosts);
      }
      await CheckpointRepository.put(trx, ctx.connectorId, checkpoint.stream, checkpoint.value, ctx.at);
    });
    return result;
  }

  /**
   * The hosts whose profile inputs this writer changed in run `runId` of the connector, for a
   * refresh of those hosts only (profile-freshness.ts); undefined when it wrote no such change.
   */
  profileHostsChanged(connectorId: number, runId: number): ReadonlySet<number> | undefined {
    const c = this.profileChanges;
    return c && c.connectorId === connectorId && c.runId === runId ? c.hosts : undefined;
  }

  private recordProfileHosts(connectorId: number, runId: number, hosts: readonly number[]): void {
    const c = this.profileChanges;
    if (!c || c.connectorId !== connectorId || c.runId !== runId) {
      this.profileChanges = { connectorId, runId, hosts: new Set(hosts) };
      return;
    }
    for (const id of hosts) c.hosts.add(id);
  }

  /** Writes a source's view of its host (the most recently seen source wins, see HostStatements). */
  private updateHost(
    trx: Transaction<Database>,
    hostId: number,
    sourceId: number,
    m: NormalizedMachine,
    status: HostStatus,
    ctx: HostBatchContext,
  ): Promise<void> {
    return this.statements.updateHost(trx, hostId, sourceId, hostColumns(m, status, ctx), m.source.lastSeen);
  }

  /**
   * Folds records MDE merged into their survivor (docs/mde-api.md#merged-and-duplicate-devices,
   * mergedIntoMachineId): the merged record's host source moves to the survivor's host, and its own host
   * becomes `merged`.
   */
  async foldMerged(connectorId: number, at: string): Promise<number> {
    const merged = await this.statements.mergedToFold(connectorId);
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
          .where('connectorId', '=', connectorId)
          .execute();
        // Sources moved between hosts: the connector's next profile refresh covers every host.
        await forgetProfileFreshness(trx, connectorId);
        // Another connector may still report the old host (identification rules): it stays live then.
        await trx
          .updateTable('hosts')
          .set({ status: 'merged', updatedAt: at })
          .where('id', '=', r.oldHostId)
          .where(({ not, exists, selectFrom }) =>
            not(exists(selectFrom('hostSources').select('id').where('hostId', '=', r.oldHostId))),
          )
          .execute();
      });
    }
    return merged.length;
  }

  /** Marks devices that had rows in a full vulnerability pass ("not scanned" devices). */
  async markScanned(connectorId: number, token: number, machineIds: Iterable<string>): Promise<void> {
    for (const ids of chunk([...machineIds], 500)) {
      await this.store.db
        .updateTable('hostSources')
        .set({ vulnerabilitySeenToken: token })
        .where('connectorId', '=', connectorId)
        .where('machineId', 'in', ids)
        .execute();
    }
  }

  /**
   * After a complete full pass: devices it had no row for were never scanned. They are marked so,
   * and with the connector's include-unscanned option off their hosts are `excluded`.
   */
  async markUnscanned(
    connectorId: number,
    token: number,
    includeUnscanned: boolean,
    at: string,
  ): Promise<number> {
    const unscanned = this.store.db
      .selectFrom('hostSources')
      .select('hostSources.hostId')
      .where('hostSources.connectorId', '=', connectorId)
      .where((eb) =>
        eb.or([eb('vulnerabilitySeenToken', 'is', null), eb('vulnerabilitySeenToken', '!=', token)]),
      );
    await this.store.db
      .updateTable('hostSources')
      .set({ vulnerabilityDataState: 'ok' })
      .where('connectorId', '=', connectorId)
      .where('vulnerabilitySeenToken', '=', token)
      .execute();
    const r = await this.store.db
      .updateTable('hostSources')
      .set({ vulnerabilityDataState: 'unscanned' })
      .where('connectorId', '=', connectorId)
      .where((eb) =>
        eb.or([eb('vulnerabilitySeenToken', 'is', null), eb('vulnerabilitySeenToken', '!=', token)]),
      )
      .executeTakeFirst();
    if (!includeUnscanned) {
      await this.store.db
        .updateTable('hosts')
        .set({ status: 'excluded', updatedAt: at })
        .where('id', 'in', unscanned)
        .where('status', '!=', 'merged')
        .execute();
    }
    return Number(r.numUpdatedRows);
  }

  /**
   * Records whether vulnerability data could be read (`ok`) or not (`not-licensed`;
   * docs/mde-api.md#not-licensed).
   */
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

  /** How many devices (host sources) a connector has. */
  async sourceCount(connectorId: number): Promise<number> {
    const row = await this.store.db
      .selectFrom('hostSources')
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where('connectorId', '=', connectorId)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /**
   * machine id → host id for a connector, to attach findings, software and alerts to hosts. With
   * `seenSinceRunId` (a device filter is on), only sources seen by that run or later count: those the
   * last device sweep kept; older ones are out of scope now.
   */
  async hostIndex(connectorId: number, seenSinceRunId?: number): Promise<Map<string, number>> {
    return this.statements.hostIndex(connectorId, seenSinceRunId);
  }
}
