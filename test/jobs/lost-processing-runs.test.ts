import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobQueue } from '../../src/jobs/job-queue.js';
import { RESUMED_AGAIN, recoverLostRuns } from '../../src/jobs/lost-run-recovery.js';
import { openJobQueue } from '../../src/jobs/open-job-queue.js';
import { systemClock } from '../../src/jobs/scheduler-clock.js';
import { ConnectorRepository } from '../../src/store/connectors/connector-repository.js';
import type { Store } from '../../src/store/db/store.js';
import { RunRepository } from '../../src/store/runs/run-repository.js';
import { SyncLeaseRepository } from '../../src/store/runs/sync-lease-repository.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, openFindingKeys, TEST_SECRETS, truthFindingKeys } from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';
import { filesStored, startWorker, type WorkerProcess, waitFor } from './worker-process.js';

/** A lease long enough to be live while the test looks, short enough to expire in a moment. */
const SHORT_LEASE_MS = 600;

/** A worker that died holding a run: its lease on another host (so nobody can tell it is gone). */
const ELSEWHERE = { owner: { host: 'another-host', pid: 1 } };

/** Every job of the queue is lost at once, as a hand clean-up of the queue's tables does. */
async function dropEveryJob(store: Store): Promise<void> {
  if (store.dialect === 'postgres')
    await sql`delete from pgboss.job where name = 'mdec-sync'`.execute(store.db);
  else await store.db.deleteFrom('jobQueue').execute();
}

// A run left `processing` by a worker that stopped (its sync lease expired) whose queue job is gone
// too would stay `processing` forever: no worker will ever pick it up.
describe.each(STORE_KINDS)(
  'runs left processing with their job lost, on %s',
  { timeout: 180_000 },
  (kind) => {
    let sim: TestSimulator;
    let db: TestStore;
    let queue: JobQueue;
    const workers: WorkerProcess[] = [];
    beforeAll(async () => {
      sim = await startTestSimulator({ devices: 200, seed: 19, devicesPerFile: 25 });
      db = await openTestStore(kind);
      queue = await openJobQueue(db.store, {
        timing: { leaseMs: 3_000 },
        clock: systemClock,
        connectionString: db.location,
      });
    });
    afterAll(async () => {
      for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
      await queue.close();
      await db.drop();
      await sim.close();
    });

    it('is queued again once to resume, and failed with the reason when lost again', async () => {
      const runs = new RunRepository(db.store);
      const connectors = new ConnectorRepository(db.store, TEST_SECRETS);
      const leases = new SyncLeaseRepository(db.store, ELSEWHERE);
      const deps = { runs, connectors, queue, now: () => new Date() };
      const [stopped, carried, superseded] = await Promise.all(
        ['stopped', 'carried', 'superseded'].map((n) => addConnector(db.store, sim, {}, `${n}-${kind}`)),
      );
      const startUnderLease = async (connectorId: number, runId?: number) => {
        const claim = await leases.acquire(connectorId, SHORT_LEASE_MS);
        if (!claim.acquired) throw new Error('the lease is held');
        const id = runId ?? (await runs.start(connectorId, 'full', 'schedule', new Date()));
        if (runId !== undefined) await runs.begin(runId, 'full', new Date());
        await leases.attachRun(claim.lease, id);
        return id;
      };
      const lost = await startUnderLease(stopped!.id);
      // Its worker was killed too, but pg-boss (or the table's expired hold) still hands the job on.
      const redelivered = await startUnderLease(carried!.id);
      await queue.enqueue({ runId: redelivered, connectorId: carried!.id });
      // Its worker died and its job was lost, but the connector's next run waits: that run ends it.
      const interrupted = await startUnderLease(superseded!.id);
      const next = await runs.enqueue(superseded!.id, 'auto', 'schedule', new Date());
      await queue.enqueue({ runId: next, connectorId: superseded!.id });

      // While the lease is live its holder may be running it: nothing is judged.
      expect(await recoverLostRuns(deps, 0)).toEqual([]);
      await sleep(SHORT_LEASE_MS + 200);

      const first = await recoverLostRuns(deps, 60_000);
      expect(first).toEqual([
        { runId: lost, connectorId: stopped!.id, was: 'processing', outcome: 'queued-again' },
      ]);
      expect(await runs.byId(lost)).toMatchObject({ state: 'queued', error: RESUMED_AGAIN, lostJobs: 1 });
      expect(await queue.carries(lost)).toBe(true);
      expect(await runs.byId(redelivered)).toMatchObject({ state: 'processing', lostJobs: 0 });
      expect(await runs.byId(interrupted)).toMatchObject({ state: 'processing', lostJobs: 0 });
      // Another worker looking at the same moment finds nothing left to do.
      expect(await recoverLostRuns(deps, 60_000)).toEqual([]);

      for (const [runId, connectorId] of [
        [redelivered, carried!.id],
        [next, superseded!.id],
      ] as const) {
        await queue.remove(runId);
        await runs.cancel(runId, new Date());
        await runs.failAbandoned(connectorId, new Date());
      }

      // A worker takes it up and dies mid-sync again, and the job is lost again.
      const job = await queue.claim();
      expect(job?.runId).toBe(lost);
      await queue.complete(job!);
      await startUnderLease(stopped!.id, lost);
      expect(await recoverLostRuns(deps, 0)).toEqual([]);
      await sleep(SHORT_LEASE_MS + 200);
      const second = await recoverLostRuns(deps, 60_000);
      expect(second).toEqual([
        { runId: lost, connectorId: stopped!.id, was: 'processing', outcome: 'failed' },
      ]);
      const failed = await runs.byId(lost);
      expect(failed).toMatchObject({ state: 'failed', lostJobs: 2 });
      expect(failed?.error).toMatch(
        /worker stopped mid-sync and its job was lost by the job queue, for the second time/,
      );
      expect(failed?.finishedAt).not.toBeNull();
    });

    it('a worker resumes a run whose worker was killed and whose job was lost, to the ground truth', async () => {
      const connector = await addConnector(
        db.store,
        sim,
        { dataTypes: ['machines', 'vulnerabilities'] },
        `resumed-${kind}`,
      );
      const runs = new RunRepository(db.store);
      const runId = await runs.enqueue(connector.id, 'full', 'manual', new Date());
      await queue.enqueue({ runId, connectorId: connector.id });
      // Slow export files, so the kill lands between two of them.
      await sim.fault({ kind: 'slow', path: '/blob/', count: 100, param: 1500 });
      const victim = startWorker(db.location);
      workers.push(victim);
      await waitFor('two export files stored', async () => (await filesStored(db.store, connector.id)) >= 2);
      victim.child.kill('SIGKILL');
      await once(victim.child, 'exit');
      await dropEveryJob(db.store);
      expect(await queue.carries(runId)).toBe(false);
      expect((await runs.byId(runId))?.state).toBe('processing');

      await sim.admin('DELETE', '/faults');
      const rescuer = startWorker(db.location);
      workers.push(rescuer);
      await waitFor('the run to succeed', async () => (await runs.byId(runId))?.state === 'succeeded');
      rescuer.child.kill('SIGTERM');
      expect(((await once(rescuer.child, 'exit')) as [number])[0]).toBe(0);

      expect(await openFindingKeys(db.store, connector.id)).toEqual(await truthFindingKeys(sim));
      const run = await runs.byId(runId);
      expect(run?.lostJobs).toBe(1);
      // Resumed from the checkpoint: the files the killed worker had stored were not read again.
      const v = run!.counters.vulnerabilities!;
      expect(v.inserted + v.unchanged).toBeLessThan((await truthFindingKeys(sim)).length);
      const events = rescuer
        .log()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(
        events.some((e) => e.msg === 'lost run queued again' && e.runId === runId && e.was === 'processing'),
      ).toBe(true);
    });
  },
);
