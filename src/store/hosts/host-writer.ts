import type BetterSqlite3 from 'better-sqlite3';
import { type Insertable, sql, type Transaction } from 'kysely';
import { customAttributesText } from '../../normalize/custom-fields.js';
import {
  DEFAULT_IDENTIFICATION_RULES,
  type IdentificationRule,
} from '../../normalize/identification-rules.js';
import type { NormalizedMachine } from '../../normalize/model.js';
import { chunk } from '../db/chunk.js';
import { snakeCase } from '../db/column-names.js';
import type { Database, HostSourceTable, HostTable } from '../db/schema.js';
import type { Store } from '../db/store.js';
import type { Checkpoint } from '../findings/finding-writer.js';
import { CheckpointRepository } from '../runs/checkpoint-repository.js';
import { HostIdentity, newestSourceOfHost } from './host-identity.js';
import { hostIdentityKey } from './host-identity-key.js';
import { type LastSeenTouch, touchLastSeenInBulk } from './last-seen-touches.js';
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
 * PostgreSQL: the hosts a page of new sources attached to, updated in one statement (UPDATE ... FROM
 * VALUES) under the same rule as {@link HostWriter} row by row: not `merged`, and no other source of
 * the host seen later. Each host appears once per page (one source per host per batch).
 */
async function updateHostsBulk(
  trx: Transaction<Database>,
  updates: ReadonlyArray<{ hostId: number; sourceId: number; m: NormalizedMachine; status: string }>,
  ctx: HostBatchContext,
): Promise<void> {
  if (updates.length === 0) return;
  const rows = updates.map((u) => ({ u, columns: hostColumns(u.m, u.status, ctx) }));
  const names = Object.keys(rows[0]!.columns).map(snakeCase);
  const values = sql.join(
    rows.map(
      ({ u, columns }) =>
        sql`(${sql.join([u.hostId, u.sourceId, u.m.source.lastSeen ?? '', ...Object.values(columns)])})`,
    ),
  );
  await sql`
    UPDATE hosts AS h SET ${sql.join(names.map((n) => sql`${sql.id(n)} = ${sql.ref(`v.${n}`)}`))}
    FROM (VALUES ${values}) AS v(host_id, source_id, seen, ${sql.join(names.map((n) => sql.id(n)))})
    WHERE h.id = CAST(v.host_id AS integer) AND h.status != 'merged' AND NOT EXISTS (
      SELECT 1 FROM host_sources o
      WHERE o.host_id = h.id AND o.id != CAST(v.source_id AS integer) AND o.last_seen > v.seen)`.execute(trx);
}

/** A stored source of the batch; `sourceCount` (sources feeding its host) is looked up lazily on SQLite. */
interface ExistingSource {
  id: number;
  hostId: number;
  contentHash: string;
  lastSeen: string | null;
  hostStatus: string;
  sourceCount?: number;
}

/** The portable lookup of a batch's stored sources, 500 machine ids per statement. */
async function existingSources(
  trx: Transaction<Database>,
  connectorId: number,
  machineIds: readonly string[],
): Promise<Map<string, ExistingSource>> {
  const existing = new Map<string, ExistingSource>();
  for (const ids of chunk([...machineIds], 500)) {
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

/**
 * Writes machines as hosts and host sources (docs/data-model.md#host). A new machine joins the host another
 * connector reports when the identification rules say so, else it gets a host of its own;
 * a source keeps its host once attached. Host columns follow the most recently seen source. Merged
 * records are folded into their survivor afterwards by {@link HostWriter.foldMerged}.
 */
export class HostWriter {
  private readonly lastSeenStatements:
    | { source: BetterSqlite3.Statement; host: BetterSqlite3.Statement }
    | undefined;

  private readonly identity: HostIdentity;
  private hostUpdate: BetterSqlite3.Statement | undefined;
  /** Hosts of one run whose profile inputs changed; a superset (a failed batch's hosts) is harmless. */
  private profileChanges: { connectorId: number; runId: number; hosts: Set<number> } | undefined;
  /** The SQLite path's prepared statements (docs/benchmarks.md#targets); absent on PostgreSQL. */
  private readonly statements: SqliteHostStatements | undefined;

  constructor(private readonly store: Store) {
    this.identity = new HostIdentity(store);
    this.statements = store.sqlite && new SqliteHostStatements(store.sqlite);
    this.lastSeenStatements = store.sqlite && {
      source: store.sqlite.prepare('UPDATE host_sources SET last_seen = ?, seen_run_id = ? WHERE id = ?'),
      // Only the host's most recently seen source writes it (a host several connectors report).
      host: store.sqlite.prepare(
        `UPDATE hosts SET last_seen = ?, status = ? WHERE id = ? AND NOT EXISTS (
           SELECT 1 FROM host_sources o WHERE o.host_id = hosts.id AND o.id != ? AND o.last_seen > ?)`,
      ),
    };
  }

  async writeBatch(
    ctx: HostBatchContext,
    machines: NormalizedMachine[],
    checkpoint: Checkpoint,
  ): Promise<HostBatchResult> {
    const result: HostBatchResult = { inserted: 0, updated: 0, unchanged: 0, skipped: 0 };
    const byId = new Map(machines.map((m) => [m.source.machineId, m]));
    await this.store.db.transaction().execute(async (trx) => {
      const existing = this.statements
        ? this.existingOnSqlite(this.statements, ctx.connectorId, [...byId.keys()])
        : await existingSources(trx, ctx.connectorId, [...byId.keys()]);
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
            if (this.statements) {
              this.statements.setHostStatus(old.hostId, old.id, m.source.lastSeen, status, ctx.at);
            } else {
              await trx
                .updateTable('hosts')
                .set({ status, updatedAt: ctx.at })
                .where('id', '=', old.hostId)
                .where(newestSourceOfHost(old.id, m.source.lastSeen))
                .execute();
            }
          }
          result.unchanged++;
          continue;
        }
        if (old.contentHash === m.source.contentHash) {
          // Only the daily report time moved (docs/mde-api.md#lastseen: lastSeen is the ~24 h full report).
          const sourceCount = old.sourceCount ?? this.statements!.sourceCount(old.hostId);
          if (sourceCount > 1) {
            // A host several sources feed: the one seen last writes all its columns (README).
            profileHosts.push(old.hostId);
            await this.updateSource(trx, old.id, { lastSeen: m.source.lastSeen, seenRunId: ctx.runId });
            await this.updateHost(trx, old.hostId, old.id, m, status, ctx);
            result.unchanged++;
            continue;
          }
          this.touchLastSeen(touches, old, m.source.lastSeen, status, ctx);
          result.unchanged++;
          continue;
        }
        await this.updateSource(trx, old.id, sourceColumns(m, ctx));
        await this.updateHost(trx, old.hostId, old.id, m, status, ctx);
        changed.push({ sourceId: old.id, machine: m });
        profileHosts.push(old.hostId);
        result.updated++;
      }
      await touchLastSeenInBulk(trx, ctx.runId, touches);
      if (this.statements) {
        this.statements.markSeen(ctx.runId, unchanged);
      } else {
        for (const ids of chunk(unchanged, 500)) {
          await trx.updateTable('hostSources').set({ seenRunId: ctx.runId }).where('id', 'in', ids).execute();
        }
      }
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
      const keyOf = (m: NormalizedMachine) => hostIdentityKey(ctx.connectorId, m.source.machineId);
      const newHost = (m: NormalizedMachine): Insertable<HostTable> => ({
        identityKey: keyOf(m),
        ...hostColumns(m, hostStatus(m, ctx.staleDays, ctx.now), ctx),
        createdAt: ctx.at,
      });
      const joining = fresh.filter((m) => matches.has(m.source.machineId));
      const own = fresh.filter((m) => !matches.has(m.source.machineId));
      if (this.statements) {
        // One prepared INSERT per row inside the batch's transaction; the new ids come back from
        // the insert itself (no re-select by identity key). Same rows, same order, same ids.
        const statements = this.statements;
        const added: Array<{ sourceId: number; machine: NormalizedMachine }> = [];
        for (const m of joining) {
          const hostId = matches.get(m.source.machineId)!.hostId;
          const sourceId = statements.insert('host_sources', newSource(m, hostId));
          await this.updateHost(trx, hostId, sourceId, m, hostStatus(m, ctx.staleDays, ctx.now), ctx);
          added.push({ sourceId, machine: m });
          profileHosts.push(hostId);
        }
        for (const m of own) {
          const hostId = statements.insert('hosts', newHost(m));
          profileHosts.push(hostId);
          added.push({ sourceId: statements.insert('host_sources', newSource(m, hostId)), machine: m });
        }
        await this.identity.add(trx, added);
        result.inserted += added.length;
        if (joining.length > 0) result.matched = (result.matched ?? 0) + joining.length;
      } else {
        for (const part of chunk(joining, 200)) {
          const added = await trx
            .insertInto('hostSources')
            .values(part.map((m) => newSource(m, matches.get(m.source.machineId)!.hostId)))
            .returning(['id', 'machineId'])
            .execute();
          const sourceIdOf = new Map(added.map((r) => [r.machineId, Number(r.id)]));
          const updates = part.map((m) => ({
            hostId: matches.get(m.source.machineId)!.hostId,
            sourceId: sourceIdOf.get(m.source.machineId)!,
            m,
            status: hostStatus(m, ctx.staleDays, ctx.now),
          }));
          await updateHostsBulk(trx, updates, ctx);
          for (const u of updates) profileHosts.push(u.hostId);
          await this.identity.add(
            trx,
            part.map((machine) => ({ sourceId: sourceIdOf.get(machine.source.machineId)!, machine })),
          );
          result.inserted += part.length;
          result.matched = (result.matched ?? 0) + part.length;
        }
        for (const part of chunk(own, 200)) {
          await trx.insertInto('hosts').values(part.map(newHost)).execute();
          const ids = await trx
            .selectFrom('hosts')
            .select(['id', 'identityKey'])
            .where('identityKey', 'in', part.map(keyOf))
            .execute();
          const hostIdByKey = new Map(ids.map((r) => [r.identityKey, Number(r.id)]));
          for (const id of hostIdByKey.values()) profileHosts.push(id);
          const added = await trx
            .insertInto('hostSources')
            .values(part.map((m) => newSource(m, hostIdByKey.get(keyOf(m))!)))
            .returning(['id', 'machineId'])
            .execute();
          const sourceIdOf = new Map(added.map((r) => [r.machineId, Number(r.id)]));
          await this.identity.add(
            trx,
            part.map((machine) => ({ sourceId: sourceIdOf.get(machine.source.machineId)!, machine })),
          );
          result.inserted += part.length;
        }
      }
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

  /** The batch's stored sources on SQLite: one statement, no per-row subquery (counted when needed). */
  private existingOnSqlite(
    statements: SqliteHostStatements,
    connectorId: number,
    machineIds: readonly string[],
  ): Map<string, ExistingSource> {
    const existing = new Map<string, ExistingSource>();
    for (const [id, hostId, machineId, contentHash, lastSeen, hostStatus] of statements.existing(
      connectorId,
      machineIds,
    )) {
      existing.set(machineId, { id: Number(id), hostId: Number(hostId), contentHash, lastSeen, hostStatus });
    }
    return existing;
  }

  private async updateSource(
    trx: Transaction<Database>,
    id: number,
    values: Partial<Insertable<HostSourceTable>>,
  ): Promise<void> {
    if (this.statements) {
      this.statements.updateSource(id, values);
      return;
    }
    await trx.updateTable('hostSources').set(values).where('id', '=', id).execute();
  }

  /**
   * Writes a source's view of its host, unless the host is `merged` or another of its sources was
   * seen later (the most recently seen source wins). A prepared statement on SQLite: a second
   * connector over a shared tenant attaches up to 100,000 sources in its first sync.
   */
  private async updateHost(
    trx: Transaction<Database>,
    hostId: number,
    sourceId: number,
    m: NormalizedMachine,
    status: string,
    ctx: HostBatchContext,
  ): Promise<void> {
    const columns = hostColumns(m, status, ctx);
    if (this.store.sqlite) {
      const names = Object.keys(columns);
      this.hostUpdate ??= this.store.sqlite.prepare(
        `UPDATE hosts SET ${names.map((n) => `${snakeCase(n)} = ?`).join(', ')}
         WHERE id = ? AND status != 'merged' AND NOT EXISTS (
           SELECT 1 FROM host_sources o WHERE o.host_id = hosts.id AND o.id != ? AND o.last_seen > ?)`,
      );
      this.hostUpdate.run(...Object.values(columns), hostId, sourceId, m.source.lastSeen ?? '');
      return;
    }
    await trx
      .updateTable('hosts')
      .set(columns)
      .where('id', '=', hostId)
      .where('status', '!=', 'merged')
      .where(newestSourceOfHost(sourceId, m.source.lastSeen))
      .execute();
  }

  /**
   * A device whose report time alone moved. On SQLite, two prepared statements now; elsewhere the
   * touch joins the batch's list, stored in bulk before the batch commits.
   */
  private touchLastSeen(
    pending: LastSeenTouch[],
    old: { id: number; hostId: number; hostStatus: string },
    lastSeen: string | null,
    status: string,
    ctx: HostBatchContext,
  ): void {
    const nextStatus = old.hostStatus === 'merged' ? 'merged' : status;
    if (this.lastSeenStatements) {
      // Prepared statements: at 100,000 devices a day's worth of reports is 100,000 of these.
      this.lastSeenStatements.source.run(lastSeen, ctx.runId, old.id);
      this.lastSeenStatements.host.run(lastSeen, nextStatus, old.hostId, old.id, lastSeen ?? '');
      return;
    }
    pending.push({ sourceId: old.id, hostId: old.hostId, lastSeen, status: nextStatus });
  }

  /**
   * Folds records MDE merged into their survivor (docs/mde-api.md#merged-and-duplicate-devices,
   * mergedIntoMachineId): the merged record's host source moves to the survivor's host, and its own host
   * becomes `merged`.
   */
  async foldMerged(connectorId: number, at: string): Promise<number> {
    const merged = this.statements
      ? this.statements.mergedToFold(connectorId)
      : await this.mergedToFold(connectorId);
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

  /** The portable lookup behind {@link foldMerged}. */
  /** The portable lookup behind {@link foldMerged}. */
  private async mergedToFold(
    connectorId: number,
  ): Promise<Array<{ sourceId: number; oldHostId: number; survivorHostId: number }>> {
    return await this.store.db
      .selectFrom('hostSources as m')
      .innerJoin('hostSources as s', (j) =>
        j.onRef('s.machineId', '=', 'm.mergedIntoMachineId').onRef('s.connectorId', '=', 'm.connectorId'),
      )
      .select(['m.id as sourceId', 'm.hostId as oldHostId', 's.hostId as survivorHostId'])
      .where('m.connectorId', '=', connectorId)
      .whereRef('m.hostId', '!=', 's.hostId')
      .execute();
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
    if (this.statements) return this.statements.hostIndex(connectorId, seenSinceRunId);
    let q = this.store.db
      .selectFrom('hostSources')
      .select(['machineId', 'hostId'])
      .where('connectorId', '=', connectorId);
    if (seenSinceRunId !== undefined) q = q.where('seenRunId', '>=', seenSinceRunId);
    const rows = await q.execute();
    return new Map(rows.map((r) => [r.machineId, Number(r.hostId)]));
  }
}
