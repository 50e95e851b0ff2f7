import { once } from 'node:events';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUEUED_AGAIN, recoverLostRuns } from '../../src/jobs/lost-run-recovery.js';
import { PgBossJobQueue } from '../../src/jobs/pg-boss-job-queue.js';
import { ConnectorRepository } from '../../src/store/connectors/connector-repository.js';
import { RunRepository } from '../../src/store/runs/run-repository.js';
import { runMdec } from '../helpers/cli-runner.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, TEST_SECRETS } from '../helpers/sync-harness.js';
import { openTestStore, POSTGRES_AVAILABLE, type TestStore } from '../helpers/test-stores.js';
import { MASTER_KEY, runState, startWorker, type WorkerProcess, waitFor } from './worker-process.js';

const MINUTE = 60_000;

// A run whose pg-boss job is gone (deleted, archived, expired, or never sent because its sender
// died) must not stay queued forever.
describe.skipIf(!POSTGRES_AVAILABLE)(
  'runs whose queue job was lost, on PostgreSQL',
  { timeout: 120_000 },
  () => {
    let sim: TestSimulator;
    let db: TestStore;
    let queue: PgBossJobQueue;
    const workers: WorkerProcess[] = [];
    beforeAll(async () => {
      sim = await startTestSimulator({ devices: 20, seed: 41 });
      db = await openTestStore('postgres');
      queue = await PgBossJobQueue.open(db.location, { leaseMs: 3_000 });
    });
    afterAll(async () => {
      for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
      await queue.close();
      await db.drop();
      await sim.close();
    });

    it('a lost run is queued again once, and failed with the reason when lost again', async () => {
      const runs = new RunRepository(db.store);
      const connectors = new ConnectorRepository(db.store, TEST_SECRETS);
      const [neverSent, deleted, expired, healthy] = await Promise.all(
        ['never-sent', 'deleted', 'expired', 'healthy'].map((n) => addConnector(db.store, sim, {}, n)),
      );
      const queuedAt = new Date();
      // Its sender died between recording the run and sending its job.
      const lostBeforeSent = await runs.enqueue(neverSent!.id, 'auto', 'manual', queuedAt);
      // Sent, then deleted from the queue (as an archive or a hand clean-up does).
      const lostDeleted = await runs.enqueue(deleted!.id, 'auto', 'manual', queuedAt);
      await queue.enqueue({ runId: lostDeleted, connectorId: deleted!.id });
      expect(await queue.remove(lostDeleted)).toBe(true);
      // Sent, then expired in pg-boss (its retries used up): the job is there, failed.
      const lostExpired = await runs.enqueue(expired!.id, 'auto', 'manual', queuedAt);
      await queue.enqueue({ runId: lostExpired, connectorId: expired!.id });
      await sql`update pgboss.job set state = 'failed' where name = 'mdec-sync' and data->>'runId' = ${String(lostExpired)}`.execute(
        db.store.db,
      );
      const waiting = await runs.enqueue(healthy!.id, 'auto', 'manual', queuedAt);
      await queue.enqueue({ runId: waiting, connectorId: healthy!.id });

      const lost = [lostBeforeSent, lostDeleted, lostExpired];
      for (const id of lost) expect(await queue.carries(id)).toBe(false);
      expect(await queue.carries(waiting)).toBe(true);

      // Within the grace period nothing is judged: the sender may be about to send.
      const deps = { runs, connectors, queue, now: () => new Date(queuedAt.getTime() + MINUTE) };
      expect(await recoverLostRuns({ ...deps, now: () => queuedAt }, MINUTE)).toEqual([]);

      const first = await recoverLostRuns(deps, MINUTE);
      expect(first.map((r) => [r.runId, r.outcome])).toEqual(lost.map((id) => [id, 'queued-again']));
      for (const id of lost) {
        expect(await queue.carries(id)).toBe(true);
        expect(await runs.byId(id)).toMatchObject({ state: 'queued', error: QUEUED_AGAIN });
      }
      // Another worker looking at the same moment finds nothing left to do.
      expect(await recoverLostRuns(deps, MINUTE)).toEqual([]);

      // Lost a second time: failed, with a reason a person can act on.
      for (const id of lost) await queue.remove(id);
      // A run queued again counts as queued then: it too is judged only after the grace period.
      expect(await recoverLostRuns(deps, MINUTE)).toEqual([]);
      const later = { ...deps, now: () => new Date(queuedAt.getTime() + 2 * MINUTE) };
      const second = await recoverLostRuns(later, MINUTE);
      expect(second.map((r) => [r.runId, r.outcome])).toEqual(lost.map((id) => [id, 'failed']));
      for (const id of lost) {
        const run = await runs.byId(id);
        expect(run?.state).toBe('failed');
        expect(run?.error).toMatch(/job was lost twice by the job queue/);
      }
      expect(await runs.byId(waiting)).toMatchObject({ state: 'queued', error: null });
      await queue.remove(waiting);
    });

    it('a worker finds a run whose job was deleted and runs it', async () => {
      await addConnector(db.store, sim, { dataTypes: ['machines'] }, 'orphan');
      const enqueued = await runMdec(['--db', db.location, 'sync', '--connector', 'orphan', '--enqueue'], {
        env: { MDEC_MASTER_KEY: MASTER_KEY },
      });
      expect(enqueued.code, enqueued.stderr).toBe(0);
      const runId = Number(enqueued.stdout.trim());
      expect(await queue.remove(runId)).toBe(true);

      const worker = startWorker(db.location);
      workers.push(worker);
      await waitFor('the lost run to succeed', async () => (await runState(db.store, runId)) === 'succeeded');
      worker.child.kill('SIGTERM');
      await once(worker.child, 'exit');
      const events = worker
        .log()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(events.some((e) => e.msg === 'lost run queued again' && e.runId === runId)).toBe(true);
    });
  },
);
