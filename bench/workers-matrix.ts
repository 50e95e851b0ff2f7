/**
 * `npm run test:workers-matrix`: the workers' acceptance matrix on PostgreSQL, too long for `npm test`
 * (docs/scheduling.md#the-worker-matrix). Twenty connectors against twenty simulators are scheduled
 * to run once at the same minute; three `mdec worker` processes run them. While runs are under way
 * one worker is killed with SIGKILL and another is stopped with SIGTERM (each replaced, so three keep
 * working). It then checks, and prints as one JSON line:
 *
 * - every due run happened exactly once: one scheduled run per connector, succeeded, finished by
 *   exactly one worker;
 * - never two runs of one connector at once (from the workers' own run events);
 * - the killed worker's run was finished by another worker under its own id;
 * - the SIGTERM'd worker exited 0 after checkpointing its run and giving its lease back;
 * - every connector's open findings equal its simulator's ground truth.
 *
 * Exit 0 when every check holds, 1 otherwise. Scale with MATRIX_CONNECTORS (20), MATRIX_DEVICES (300),
 * MATRIX_WORKERS (3); the server from MDEC_TEST_PG_URL (a fresh database is created and dropped).
 */
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConnectorRepository } from '../src/store/connectors/connector-repository.js';
import { RunRepository } from '../src/store/runs/run-repository.js';
import { SyncLeaseRepository } from '../src/store/runs/sync-lease-repository.js';
import { startTestSimulator, type TestSimulator } from '../test/helpers/simulator-fixture.js';
import {
  addConnector,
  openFindingKeys,
  TEST_SECRETS,
  truthFindingKeys,
} from '../test/helpers/sync-harness.js';
import { openTestStore } from '../test/helpers/test-stores.js';
import { filesStored, startWorker, type WorkerProcess } from '../test/jobs/worker-process.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const CONNECTORS = env('MATRIX_CONNECTORS', 20);
const DEVICES = env('MATRIX_DEVICES', 300);
const WORKERS = env('MATRIX_WORKERS', 3);

interface RunEvent {
  msg: string;
  runId?: number;
  connector?: string;
  time: number;
  pid: number;
}

function events(w: WorkerProcess): RunEvent[] {
  return w
    .log()
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as RunEvent);
}

/** Polls `find` until it finds something, for at most `seconds`. */
async function until<T>(
  what: string,
  find: () => Promise<T | undefined | false>,
  seconds: number,
): Promise<T> {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const found = await find();
    if (found) return found;
    await sleep(200);
  }
  throw new Error(`gave up waiting for ${what}`);
}

const started = Date.now();
const db = await openTestStore('postgres');
const sims: TestSimulator[] = [];
const workers: WorkerProcess[] = [];
const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  if (!ok) failures.push(what);
};
try {
  const ids: number[] = [];
  for (let i = 0; i < CONNECTORS; i++) {
    const sim = await startTestSimulator({ devices: DEVICES, seed: 100 + i, devicesPerFile: 25 });
    // Slow export files: runs last long enough for a worker to be stopped in the middle of one.
    await sim.fault({ kind: 'slow', path: '/blob/', count: 1000, param: 300 });
    sims.push(sim);
    ids.push((await addConnector(db.store, sim, { dataTypes: ['machines', 'vulnerabilities'] }, `c${i}`)).id);
  }
  // Every connector is due once, at the same minute, at least 15 s from now.
  const slot = new Date(Math.ceil((Date.now() + 15_000) / 60_000) * 60_000);
  const dueOnce = `once@${slot.toISOString().slice(0, 16)}Z`;
  const connectors = new ConnectorRepository(db.store, TEST_SECRETS);
  for (const id of ids) await connectors.update(id, { schedule: dueOnce });

  for (let i = 0; i < WORKERS; i++) workers.push(startWorker(db.location));
  const leases = new SyncLeaseRepository(db.store);
  const alive = () => workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  /** A worker in the middle of a run: it holds a lease and stored part of that run's export. */
  const midRun = async (exclude: number[]) => {
    for (const id of ids) {
      if (exclude.includes(id)) continue;
      const lease = await leases.live(id);
      if (!lease?.runId || (await filesStored(db.store, id)) < 1) continue;
      const w = alive().find((x) => x.child.pid === lease.pid);
      if (w) return { connectorId: id, runId: lease.runId, worker: w };
    }
    return undefined;
  };

  const victim = await until('a run under way to kill', () => midRun([]), 180);
  const killedAt = Date.now();
  victim.worker.child.kill('SIGKILL');
  await once(victim.worker.child, 'exit');
  workers.push(startWorker(db.location));

  const stopped = await until('another run under way to stop', () => midRun([victim.connectorId]), 180);
  stopped.worker.child.kill('SIGTERM');
  const [stopCode] = (await once(stopped.worker.child, 'exit')) as [number];
  const stopLease = await leases.current(stopped.connectorId);
  check(stopCode === 0, `the SIGTERM'd worker exited ${stopCode}, not 0`);
  check(
    !stopLease || stopLease.pid !== stopped.worker.child.pid,
    'the SIGTERM’d worker left its lease behind',
  );
  check(
    events(stopped.worker).some(
      (e) => e.msg === 'run checkpointed and released' && e.runId === stopped.runId,
    ),
    'the SIGTERM’d worker did not checkpoint and release its run',
  );
  workers.push(startWorker(db.location));

  const runs = new RunRepository(db.store);
  await until(
    'every connector’s scheduled run to end',
    async () => {
      for (const id of ids) {
        const list = await runs.list(id);
        if (list.length === 0 || list.some((r) => r.state === 'queued' || r.state === 'processing'))
          return false;
      }
      return true;
    },
    900,
  );
  const wallSeconds = Math.round((Date.now() - started) / 100) / 10;
  for (const w of alive()) w.child.kill('SIGTERM');
  for (const w of workers)
    if (w.child.exitCode === null && w.child.signalCode === null) await once(w.child, 'exit');

  const all = workers.flatMap(events);
  for (const [i, id] of ids.entries()) {
    const list = await runs.list(id);
    const scheduled = list.filter((r) => r.trigger === 'schedule');
    check(scheduled.length === 1, `c${i}: ${scheduled.length} scheduled runs, not 1`);
    check(
      list.every((r) => r.state === 'succeeded'),
      `c${i}: runs ${list.map((r) => `${r.id} ${r.state} ${r.error ?? ''}`).join('; ')}`,
    );
    for (const r of list)
      check(
        all.filter((e) => e.msg === 'run finished' && e.runId === r.id).length === 1,
        `run ${r.id} was not finished exactly once`,
      );
    // Never two at once: each worker's spell on the connector, from 'run started' to its end.
    const spells: Array<[number, number]> = [];
    for (const w of workers) {
      let open: number | undefined;
      for (const e of events(w).filter((x) => x.connector === `c${i}`)) {
        if (e.msg === 'run started') open = e.time;
        else if (open !== undefined && ['run finished', 'run checkpointed and released'].includes(e.msg)) {
          spells.push([open, e.time]);
          open = undefined;
        } else if (e.msg === 'run waits' || e.msg === 'run could not start') open = undefined;
      }
      if (open !== undefined && w === victim.worker) spells.push([open, killedAt]);
    }
    spells.sort((a, b) => a[0] - b[0]);
    for (let k = 1; k < spells.length; k++)
      check(spells[k]![0] >= spells[k - 1]![1], `c${i}: two runs at once`);
    const truth = await truthFindingKeys(sims[i]!);
    const stored = await openFindingKeys(db.store, id);
    check(
      JSON.stringify(stored) === JSON.stringify(truth),
      `c${i}: store differs from the simulator's truth`,
    );
  }
  const killedRun = await runs.byId(victim.runId);
  check(killedRun?.state === 'succeeded', `the killed worker's run ${victim.runId} is ${killedRun?.state}`);
  check(
    all.some(
      (e) => e.msg === 'run finished' && e.runId === victim.runId && e.pid !== victim.worker.child.pid,
    ),
    'the killed worker’s run was not finished by another worker',
  );
  const runCount = (await db.store.db.selectFrom('syncRuns').select('id').execute()).length;
  process.stdout.write(
    `${JSON.stringify({
      connectors: CONNECTORS,
      devicesEach: DEVICES,
      workers: WORKERS,
      slot: slot.toISOString(),
      runs: runCount,
      killedRun: victim.runId,
      stoppedRun: stopped.runId,
      wallSeconds,
      ok: failures.length === 0,
      failures,
    })}\n`,
  );
  process.exitCode = failures.length === 0 ? 0 : 1;
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
} finally {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await Promise.all(sims.map((s) => s.close()));
  await db.drop();
}
