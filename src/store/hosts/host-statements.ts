import type { Insertable, Transaction, Updateable } from 'kysely';
import type { HostStatus } from '../../normalize/host-status.js';
import type { Database, HostSourceTable, HostTable } from '../db/schema.js';
import type { LastSeenTouch } from './last-seen-touches.js';

/** A stored source of a batch, as the machines stream compares it with what MDE sends now. */
export interface ExistingSource {
  id: number;
  hostId: number;
  contentHash: string;
  lastSeen: string | null;
  hostStatus: HostStatus;
  /** Sources (of any connector) feeding its host, when the lookup brought it along. */
  sourceCount?: number;
}

/** A new source of a batch joining a host another connector reports, and its view of that host. */
export interface JoiningSource {
  hostId: number;
  source: Insertable<HostSourceTable>;
  host: Updateable<HostTable>;
  /** The source's last-seen time: the host takes its columns only if no other source was seen later. */
  lastSeen: string | null;
}

/** A new source of a batch with a host of its own. */
export interface OwnSource {
  host: Insertable<HostTable> & { identityKey: string };
  source(hostId: number): Insertable<HostSourceTable>;
}

/** A record MDE merged into a survivor whose host its source is not on yet. */
export interface MergedSource {
  sourceId: number;
  oldHostId: number;
  survivorHostId: number;
}

/**
 * What the host writer does differently per database (docs/architecture.md#store-engines): on
 * SQLite prepared statements run row by row, which cost no round trip; on PostgreSQL each batch's
 * rows travel in a few multi-row statements. Every method runs inside the caller's transaction.
 */
export interface HostStatements {
  /** The connector's stored sources among `machineIds`, by machine id. */
  existing(
    trx: Transaction<Database>,
    connectorId: number,
    machineIds: readonly string[],
  ): Promise<Map<string, ExistingSource>>;
  /** How many sources (of any connector) feed the source's host. */
  sourceCount(source: ExistingSource): Promise<number>;
  /** Sets a host's status unless another of its sources was seen later. */
  setHostStatus(
    trx: Transaction<Database>,
    hostId: number,
    sourceId: number,
    lastSeen: string | null,
    status: HostStatus,
    at: string,
  ): Promise<void>;
  /** Marks unchanged sources as seen by this run. */
  markSeen(trx: Transaction<Database>, runId: number, sourceIds: readonly number[]): Promise<void>;
  /** Updates one host source by id. */
  updateSource(
    trx: Transaction<Database>,
    id: number,
    values: Partial<Insertable<HostSourceTable>>,
  ): Promise<void>;
  /**
   * Writes a source's view of its host, unless the host is `merged` or another of its sources was
   * seen later (the most recently seen source wins).
   */
  updateHost(
    trx: Transaction<Database>,
    hostId: number,
    sourceId: number,
    columns: Updateable<HostTable>,
    lastSeen: string | null,
  ): Promise<void>;
  /** Devices whose report time alone moved: their sources' and hosts' last-seen time and status. */
  touchLastSeen(trx: Transaction<Database>, runId: number, touches: readonly LastSeenTouch[]): Promise<void>;
  /** Inserts the sources joining existing hosts, and writes their view of those hosts; their ids in order. */
  insertJoining(trx: Transaction<Database>, rows: readonly JoiningSource[]): Promise<number[]>;
  /** Inserts hosts and their first sources; the ids in order. */
  insertOwn(
    trx: Transaction<Database>,
    rows: readonly OwnSource[],
  ): Promise<Array<{ hostId: number; sourceId: number }>>;
  /** Records MDE merged into a survivor of the same connector, in machine id order. */
  mergedToFold(connectorId: number): Promise<MergedSource[]>;
  /** machine id → host id of a connector's sources (optionally those seen by a run or later). */
  hostIndex(connectorId: number, seenSinceRunId?: number): Promise<Map<string, number>>;
}
