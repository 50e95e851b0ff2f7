import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunRepository } from '../../src/store/runs/run-repository.js';
import { runMdec } from '../helpers/cli-runner.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, openFindingKeys, truthFindingKeys } from '../helpers/sync-harness.js';
import { openTestStore, POSTGRES_AVAILABLE, type TestStore } from '../helpers/test-stores.js';
import {
  filesStored,
  MASTER_KEY,
  runState,
  startWorker,
  type WorkerProcess,
  waitFor,
} from './worker-process.js';

const CONNECTORS = 4;

// Several workers on one PostgreSQL store share the connectors through pg-boss; the sync lease keeps
// one run per connector. The full matrix (20 connectors, 200 tenants) is `npm run bench:workers`.
describe.skipIf(!POSTGRES_AVAILABLE)('mdec workers on PostgreSQL', { timeout: 300_000 }, () => {
  let sim: TestSimulator;
  let db: TestStore;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 150, seed: 21, devicesPerFile: 25 });
    db = await openTestStore('postgres');
  });
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await db.drop();
    await sim.close();
  });

  it('three workers run every queued run exactly once; a worker killed mid-sync is taken over', async () => {
    const ids: number[] = [];
    for (let i = 0; i < CONNECTORS; i++)
      ids.push(
        (await addConnector(db.store, sim, { dataTypes: ['machines', 'vulnerabilities'] }, `t${i}`)).id,
      );
    const runIds: number[] = [];
    for (let i = 0; i < CONNECTORS; i++) {
      const r = await runMdec(
        ['--db', db.location, 'sync', '--connector', `t${i}`, '--enqueue', '--mode', 'full'],
        {
          env: { MDEC_MASTER_KEY: MASTER_KEY },
        },
      );
      expect(r.code, r.stderr).toBe(0);
      runIds.push(Number(r.stdout.trim()));
    }
    await sim.fault({ kind: 'slow', path: '/blob/', count: 6, param: 1500 });
    for (let i = 0; i < 3; i++) workers.push(startWorker(db.location));

    // Kill -9 the worker holding the first connector once it stored part of its export.
    await waitFor('a run under way', async () => (await filesStored(db.store, ids[0]!)) >= 1);
    const lease = await db.store.db
      .selectFrom('syncLeases')
      .selectAll()
      .where('connectorId', '=', ids[0]!)
      .executeTakeFirst();
    const victim = workers.find((w) => w.child.pid === Number(lease?.ownerPid));
    expect(victim, 'the lease holder is one of the workers').toBeDefined();
    victim!.child.kill('SIGKILL');
    await once(victim!.child, 'exit');

    // Each connector's run ends succeeded; a run that failed is followed by a retry that succeeded.
    const runs = new RunRepository(db.store);
    const settled = async () => {
      for (const id of ids) {
        const [latest] = await runs.list(id, 1);
        if (latest?.state !== 'succeeded') return false;
      }
      return true;
    };
    await waitFor('every connector to be synced', settled, 2400);
    // The killed worker's run was finished by another worker under its own id.
    expect(await runState(db.store, runIds[0]!)).toBe('succeeded');
    const truth = await truthFindingKeys(sim);
    for (const id of ids) expect(await openFindingKeys(db.store, id)).toEqual(truth);
    for (const id of ids) {
      const history = (await runs.list(id)).reverse();
      // Never two runs of one connector at once: each started after the one before it finished.
      for (let i = 1; i < history.length; i++)
        expect(history[i]!.startedAt >= history[i - 1]!.finishedAt!, `connector ${id}`).toBe(true);
      // Nothing ran twice: a second run exists only as the retry of a failed one.
      expect(history.filter((r) => r.state === 'succeeded')).toHaveLength(1);
    }
    const survivors = workers.filter((w) => w !== victim);
    const events = survivors.flatMap((w) =>
      w
        .log()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
    expect(events.filter((e) => e.msg === 'run finished' && e.runId === runIds[0])).toHaveLength(1);

    for (const w of survivors) w.child.kill('SIGTERM');
    for (const w of survivors) {
      const [code] =
        w.child.exitCode !== null ? [w.child.exitCode] : ((await once(w.child, 'exit')) as [number]);
      expect(code, w.log()).toBe(0);
    }
  });
});
