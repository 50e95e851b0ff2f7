import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import type { Store } from '../../src/store/db/store.js';
import { CheckpointRepository } from '../../src/store/runs/checkpoint-repository.js';
import { RunRepository } from '../../src/store/runs/run-repository.js';
import { type SyncLease, SyncLeaseRepository } from '../../src/store/runs/sync-lease-repository.js';
import { createMdeClient } from '../../src/sync/mde-client-factory.js';
import { runSync, SyncRunningError } from '../../src/sync/run-sync.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, TEST_SECRETS, testLimiter } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

const MINUTE = 60_000;

/** A lease row as another process would have left it. */
async function plantLease(store: Store, lease: Omit<SyncLease, 'token'>): Promise<void> {
  await store.db
    .insertInto('syncLeases')
    .values({
      connectorId: lease.connectorId,
      token: 'someone-else',
      runId: lease.runId,
      ownerHost: lease.host,
      ownerPid: lease.pid,
      acquiredAt: lease.acquiredAt,
      heartbeatAt: lease.heartbeatAt,
      expiresAt: lease.expiresAt,
    })
    .execute();
}

describe.each(STORE_KINDS)('sync leases (%s)', (kind) => {
  let sim: TestSimulator;
  let db: TestStore;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 60, seed: 5, devicesPerFile: 20 });
  });
  afterAll(() => sim.close());

  const syncNow = (lease: Parameters<typeof runSync>[0]['lease'] = {}) => {
    const limiter = testLimiter();
    return runSync(
      {
        store: db.store,
        secrets: TEST_SECRETS,
        createClient: (c, creds, signal) => createMdeClient(c, creds, { limiter }, signal),
        now: () => new Date(sim.sim.state.clock.now()),
        lease,
      },
      { connector: 'test', mode: 'full' },
    );
  };

  it('one statement decides: of two owners asking at once exactly one gets the lease, until it expires', async () => {
    db = await openTestStore(kind);
    try {
      const c = await addConnector(db.store, sim);
      const a = new SyncLeaseRepository(db.store, { owner: { host: 'host-a', pid: 1 } });
      const b = new SyncLeaseRepository(db.store, { owner: { host: 'host-b', pid: 2 } });
      const claims = await Promise.all([a.acquire(c.id, MINUTE), b.acquire(c.id, MINUTE)]);
      expect(claims.filter((x) => x.acquired)).toHaveLength(1);
      const [winner, loser] = claims[0]!.acquired ? [a, b] : [b, a];
      const held = (claims[0]!.acquired ? claims[0] : claims[1]) as { lease: SyncLease };
      // Renewed by its heartbeat, its expiry moves on.
      const firstExpiry = held.lease.expiresAt;
      await sleep(20);
      expect(await winner.renew(held.lease, MINUTE)).toBe(true);
      expect(held.lease.expiresAt > firstExpiry).toBe(true);
      expect((await loser.acquire(c.id, MINUTE)).acquired).toBe(false);
      // Not renewed in time (here: renewed into the past), it expires and the other owner takes it
      // over; the old holder learns it lost it.
      await winner.renew(held.lease, -1000);
      expect(await loser.live(c.id)).toBeUndefined();
      const taken = await loser.acquire(c.id, MINUTE);
      expect(taken.acquired).toBe(true);
      expect(taken.acquired && taken.tookOver?.token).toBe(held.lease.token);
      expect(await winner.renew(held.lease, MINUTE)).toBe(false);
      // Releasing a lost lease leaves the new holder's alone.
      await winner.release(held.lease);
      expect((await winner.current(c.id))?.host).toBe(taken.acquired ? taken.lease.host : '');
    } finally {
      await db.drop();
    }
  });

  it('expiry is judged by the database clock: a host whose clock is an hour off changes nothing', async () => {
    db = await openTestStore(kind);
    const realNow = Date.now();
    try {
      const c = await addConnector(db.store, sim);
      const a = new SyncLeaseRepository(db.store, { owner: { host: 'host-a', pid: 1 } });
      const b = new SyncLeaseRepository(db.store, { owner: { host: 'host-b', pid: 2 } });
      const claim = await a.acquire(c.id, MINUTE);
      if (!claim.acquired) throw new Error('the lease should be free');
      // Host b's clock runs an hour fast: by it the lease expired long ago; by the database it is live.
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(realNow + 60 * MINUTE);
      expect((await b.live(c.id))?.token).toBe(claim.lease.token);
      expect((await b.acquire(c.id, MINUTE)).acquired).toBe(false);
      // Host a's clock runs an hour slow: its renewal still stamps the database's time.
      vi.setSystemTime(realNow - 60 * MINUTE);
      expect(await a.renew(claim.lease, MINUTE)).toBe(true);
      expect(Date.parse(claim.lease.expiresAt)).toBeGreaterThan(realNow);
      // Expired by the database (renewed into the past), it is free for host b, whose clock is an hour
      // slow now and would call it live; b's new lease runs a minute from the database's now.
      await a.renew(claim.lease, -1000);
      vi.setSystemTime(realNow - 60 * MINUTE);
      const taken = await b.acquire(c.id, MINUTE);
      expect(taken.acquired).toBe(true);
      expect(Date.parse(taken.acquired ? taken.lease.expiresAt : '')).toBeGreaterThan(realNow);
    } finally {
      vi.useRealTimers();
      await db.drop();
    }
  });

  it('a live lease refuses the sync and leaves the running sync’s run and checkpoints alone', async () => {
    db = await openTestStore(kind);
    try {
      const c = await addConnector(db.store, sim);
      const runs = new RunRepository(db.store);
      const live = await runs.start(c.id, 'full', 'manual', new Date());
      const checkpoints = new CheckpointRepository(db.store);
      const progress = { generatedTime: 'x', fileIndex: 3, line: 10, seenToken: live };
      await checkpoints.put(c.id, 'vulnerabilities', progress, new Date().toISOString());
      const since = new Date(Date.now() - 2 * MINUTE);
      await plantLease(db.store, {
        connectorId: c.id,
        runId: live,
        host: 'worker-7',
        pid: 4242,
        acquiredAt: since.toISOString(),
        heartbeatAt: new Date().toISOString(),
        expiresAt: new Date(Date.now() + 5 * MINUTE).toISOString(),
      });
      const refused = await syncNow().catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(SyncRunningError);
      expect((refused as Error).message).toBe(
        `a sync of "test" is running (run ${live}, pid 4242 on worker-7, since ${since.toISOString().replace(/\.\d{3}Z$/, 'Z')})`,
      );
      expect((await runs.byId(live))!.state).toBe('processing');
      expect(await runs.list(c.id)).toHaveLength(1);
      expect(await checkpoints.read(c.id, 'vulnerabilities', z.unknown())).toEqual({ value: progress });
    } finally {
      await db.drop();
    }
  });

  it('an expired lease is taken over: its run is failed as interrupted and the new run completes', async () => {
    db = await openTestStore(kind);
    try {
      const c = await addConnector(db.store, sim);
      const runs = new RunRepository(db.store);
      const crashed = await runs.start(c.id, 'full', 'manual', new Date());
      await plantLease(db.store, {
        connectorId: c.id,
        runId: crashed,
        host: 'worker-7',
        pid: 4242,
        acquiredAt: new Date(Date.now() - 60 * MINUTE).toISOString(),
        heartbeatAt: new Date(Date.now() - 10 * MINUTE).toISOString(),
        expiresAt: new Date(Date.now() - 5 * MINUTE).toISOString(),
      });
      const result = await syncNow();
      expect(result.state).toBe('succeeded');
      expect((await runs.byId(crashed))!.state).toBe('failed');
      expect(await new SyncLeaseRepository(db.store).current(c.id)).toBeUndefined();
    } finally {
      await db.drop();
    }
  });

  it('a lease of a process of this host that is gone is taken over before it expires', async () => {
    db = await openTestStore(kind);
    try {
      const c = await addConnector(db.store, sim);
      await plantLease(db.store, {
        connectorId: c.id,
        runId: null,
        host: hostname(),
        pid: 4242,
        acquiredAt: new Date().toISOString(),
        heartbeatAt: new Date().toISOString(),
        expiresAt: new Date(Date.now() + 5 * MINUTE).toISOString(),
      });
      const result = await syncNow({ isAlive: (pid) => pid !== 4242 });
      expect(result.state).toBe('succeeded');
    } finally {
      await db.drop();
    }
  });

  it('the heartbeat keeps a long run’s lease alive past its time to live, and the end releases it', async () => {
    db = await openTestStore(kind);
    try {
      const c = await addConnector(db.store, sim, { dataTypes: ['machines', 'vulnerabilities'] });
      // Each export file takes 700 ms: the run outlives several lease lifetimes of 600 ms.
      await sim.fault({ kind: 'slow', path: '/blob/', count: 100, param: 700 });
      const leases = new SyncLeaseRepository(db.store);
      const running = syncNow({ ttlMs: 600, heartbeatMs: 100 });
      let lease: SyncLease | undefined;
      for (let i = 0; i < 100 && !lease?.runId; i++) {
        lease = await leases.current(c.id);
        await sleep(50);
      }
      expect(lease?.runId).toBeGreaterThan(0);
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) {
        await sleep(700);
        const now = await leases.current(c.id);
        if (!now) break; // the run ended
        expect(now.token).toBe(lease!.token);
        expect((await leases.live(c.id))?.token).toBe(lease!.token);
        seen.add(now.expiresAt);
        expect(await syncNow().catch((err: unknown) => err)).toBeInstanceOf(SyncRunningError);
      }
      expect(seen.size).toBeGreaterThanOrEqual(2);
      const result = await running;
      expect(result.state).toBe('succeeded');
      expect(await leases.current(c.id)).toBeUndefined();
      expect(await new RunRepository(db.store).list(c.id)).toHaveLength(1);
    } finally {
      await sim.admin('DELETE', '/faults');
      await db.drop();
    }
  });
});
