import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Store } from '../db/store.js';

/**
 * Sync leases: one connector has at most one running sync, whoever starts it (the CLI, a scheduler,
 * a worker). The lease is a row in the store, so every process that syncs a store sees the same
 * one. Its holder renews it with a heartbeat; a lease past its expiry belongs to a run that stopped
 * without releasing it and is taken over. A lease whose owner is a process on this host that no
 * longer exists is taken over at once: the process is known to be gone.
 */

/** Who holds a lease: the process on its host. */
export interface LeaseOwner {
  host: string;
  pid: number;
}

export interface SyncLease extends LeaseOwner {
  connectorId: number;
  token: string;
  runId: number | null;
  acquiredAt: string;
  heartbeatAt: string;
  expiresAt: string;
}

export type LeaseClaim =
  | {
      acquired: true;
      lease: SyncLease;
      /** The lease this one replaced: expired, or held by a process of this host that is gone. */
      tookOver?: SyncLease;
    }
  | { acquired: false; holder: SyncLease };

export interface SyncLeaseOptions {
  /** The time leases are stamped and compared with; the wall clock unless a test moves its own. */
  clock?: () => Date;
  /** This process, as it is written into the leases it takes. */
  owner?: LeaseOwner;
  /** Whether a process of this host is running; `process.kill(pid, 0)` by default. */
  isAlive?: (pid: number) => boolean;
}

export class SyncLeaseRepository {
  private readonly clock: () => Date;
  private readonly owner: LeaseOwner;
  private readonly isAlive: (pid: number) => boolean;

  constructor(
    private readonly store: Store,
    options: SyncLeaseOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.owner = options.owner ?? { host: hostname(), pid: process.pid };
    this.isAlive = options.isAlive ?? processIsAlive;
  }

  /**
   * Takes the connector's lease for `ttlMs` when it is free, expired, or held by a process of this
   * host that no longer runs; otherwise answers who holds it. One statement decides, so of two
   * processes asking at once exactly one gets it.
   */
  async acquire(connectorId: number, ttlMs: number): Promise<LeaseClaim> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = await this.current(connectorId);
      const now = this.clock();
      const lease = this.newLease(connectorId, now, ttlMs);
      const row = await this.store.db
        .insertInto('syncLeases')
        .values(toRow(lease))
        .onConflict((oc) =>
          oc
            .column('connectorId')
            .doUpdateSet(toRow(lease))
            .where('syncLeases.expiresAt', '<=', now.toISOString()),
        )
        .returning('token')
        .executeTakeFirst();
      if (row?.token === lease.token)
        return { acquired: true, lease, ...(before ? { tookOver: before } : {}) };
      const holder = await this.current(connectorId);
      if (!holder) continue; // released between the two statements: ask again
      if (holder.host !== this.owner.host || this.isAlive(holder.pid)) return { acquired: false, holder };
      // Its process is gone: replace exactly that lease, unless someone else just did.
      const taken = await this.store.db
        .updateTable('syncLeases')
        .set(toRow(lease))
        .where('connectorId', '=', connectorId)
        .where('token', '=', holder.token)
        .executeTakeFirst();
      if (Number(taken.numUpdatedRows) === 1) return { acquired: true, lease, tookOver: holder };
    }
    const holder = await this.current(connectorId);
    if (holder) return { acquired: false, holder };
    throw new Error(`the sync lease of connector ${connectorId} changed hands too often to take it`);
  }

  /** Records the run the holder started under the lease. */
  async attachRun(lease: SyncLease, runId: number): Promise<boolean> {
    const r = await this.store.db
      .updateTable('syncLeases')
      .set({ runId })
      .where('connectorId', '=', lease.connectorId)
      .where('token', '=', lease.token)
      .executeTakeFirst();
    lease.runId = runId;
    return Number(r.numUpdatedRows) === 1;
  }

  /** Moves the expiry `ttlMs` past now; false when the lease is no longer this holder's. */
  async renew(lease: SyncLease, ttlMs: number): Promise<boolean> {
    const now = this.clock();
    const heartbeatAt = now.toISOString();
    const expiresAt = new Date(now.getTime() + ttlMs).toISOString();
    const r = await this.store.db
      .updateTable('syncLeases')
      .set({ heartbeatAt, expiresAt })
      .where('connectorId', '=', lease.connectorId)
      .where('token', '=', lease.token)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) return false;
    lease.heartbeatAt = heartbeatAt;
    lease.expiresAt = expiresAt;
    return true;
  }

  /** Gives the lease up; a lease another process took over meanwhile is left alone. */
  async release(lease: SyncLease): Promise<void> {
    await this.store.db
      .deleteFrom('syncLeases')
      .where('connectorId', '=', lease.connectorId)
      .where('token', '=', lease.token)
      .execute();
  }

  /** The connector's lease as stored, live or expired; undefined when none. */
  async current(connectorId: number): Promise<SyncLease | undefined> {
    const row = await this.store.db
      .selectFrom('syncLeases')
      .selectAll()
      .where('connectorId', '=', connectorId)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      connectorId: Number(row.connectorId),
      token: row.token,
      runId: row.runId === null ? null : Number(row.runId),
      host: row.ownerHost,
      pid: Number(row.ownerPid),
      acquiredAt: row.acquiredAt,
      heartbeatAt: row.heartbeatAt,
      expiresAt: row.expiresAt,
    };
  }

  /** Whether a stored lease is past its expiry now. */
  expired(lease: SyncLease): boolean {
    return lease.expiresAt <= this.clock().toISOString();
  }

  private newLease(connectorId: number, now: Date, ttlMs: number): SyncLease {
    const at = now.toISOString();
    return {
      connectorId,
      token: randomUUID(),
      runId: null,
      ...this.owner,
      acquiredAt: at,
      heartbeatAt: at,
      expiresAt: new Date(now.getTime() + ttlMs).toISOString(),
    };
  }
}

function toRow(lease: SyncLease) {
  return {
    connectorId: lease.connectorId,
    token: lease.token,
    runId: lease.runId,
    ownerHost: lease.host,
    ownerPid: lease.pid,
    acquiredAt: lease.acquiredAt,
    heartbeatAt: lease.heartbeatAt,
    expiresAt: lease.expiresAt,
  };
}

/** A signal-0 probe: no such process is ESRCH; EPERM means it exists under another user. */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
