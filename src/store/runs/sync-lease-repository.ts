import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { databaseTime } from '../db/database-time.js';
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
  /** This process, as it is written into the leases it takes. */
  owner?: LeaseOwner;
  /** Whether a process of this host is running; `process.kill(pid, 0)` by default. */
  isAlive?: (pid: number) => boolean;
}

/**
 * Every time a lease holds (taken, renewed, expires) is stamped and compared by the database's
 * clock (database-time.ts), not by the host's: workers on hosts whose clocks disagree still agree
 * on whether a lease has expired.
 */
export class SyncLeaseRepository {
  private readonly owner: LeaseOwner;
  private readonly isAlive: (pid: number) => boolean;

  constructor(
    private readonly store: Store,
    options: SyncLeaseOptions = {},
  ) {
    this.owner = options.owner ?? { host: hostname(), pid: process.pid };
    this.isAlive = options.isAlive ?? processIsAlive;
  }

  private now(offsetMs = 0) {
    return databaseTime(this.store.dialect, offsetMs);
  }

  /**
   * Takes the connector's lease for `ttlMs` when it is free, expired, or held by a process of this
   * host that no longer runs; otherwise answers who holds it. One statement decides, so of two
   * processes asking at once exactly one gets it.
   */
  async acquire(connectorId: number, ttlMs: number): Promise<LeaseClaim> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const before = await this.current(connectorId);
      const values = this.newLease(connectorId, ttlMs);
      const row = await this.store.db
        .insertInto('syncLeases')
        .values(values)
        .onConflict((oc) =>
          oc.column('connectorId').doUpdateSet(values).where('syncLeases.expiresAt', '<=', this.now()),
        )
        .returningAll()
        .executeTakeFirst();
      if (row?.token === values.token)
        return { acquired: true, lease: toLease(row), ...(before ? { tookOver: before } : {}) };
      const holder = await this.current(connectorId);
      if (!holder) continue; // released between the two statements: ask again
      if (holder.host !== this.owner.host || this.isAlive(holder.pid)) return { acquired: false, holder };
      // Its process is gone: replace exactly that lease, unless someone else just did.
      const taken = await this.store.db
        .updateTable('syncLeases')
        .set(values)
        .where('connectorId', '=', connectorId)
        .where('token', '=', holder.token)
        .returningAll()
        .executeTakeFirst();
      if (taken) return { acquired: true, lease: toLease(taken), tookOver: holder };
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
    const row = await this.store.db
      .updateTable('syncLeases')
      .set({ heartbeatAt: this.now(), expiresAt: this.now(ttlMs) })
      .where('connectorId', '=', lease.connectorId)
      .where('token', '=', lease.token)
      .returning(['heartbeatAt', 'expiresAt'])
      .executeTakeFirst();
    if (!row) return false;
    lease.heartbeatAt = row.heartbeatAt;
    lease.expiresAt = row.expiresAt;
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
    return row && toLease(row);
  }

  /** The connector's lease if it has not expired by the database's clock; undefined otherwise. */
  async live(connectorId: number): Promise<SyncLease | undefined> {
    const row = await this.store.db
      .selectFrom('syncLeases')
      .selectAll()
      .where('connectorId', '=', connectorId)
      .where('expiresAt', '>', this.now())
      .executeTakeFirst();
    return row && toLease(row);
  }

  /** A new lease's row: its times are the database's, taken as the statement runs. */
  private newLease(connectorId: number, ttlMs: number) {
    return {
      connectorId,
      token: randomUUID(),
      runId: null,
      ownerHost: this.owner.host,
      ownerPid: this.owner.pid,
      acquiredAt: this.now(),
      heartbeatAt: this.now(),
      expiresAt: this.now(ttlMs),
    };
  }
}

function toLease(row: {
  connectorId: number;
  token: string;
  runId: number | null;
  ownerHost: string;
  ownerPid: number;
  acquiredAt: string;
  heartbeatAt: string;
  expiresAt: string;
}): SyncLease {
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

/** A signal-0 probe: no such process is ESRCH; EPERM means it exists under another user. */
export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
