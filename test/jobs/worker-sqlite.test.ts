import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorStatus } from '../../src/jobs/connector-status.js';
import { ConnectorRepository } from '../../src/store/connectors/connector-repository.js';
import { RunRepository } from '../../src/store/runs/run-repository.js';
import { runMdec } from '../helpers/cli-runner.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, openFindingKeys, TEST_SECRETS, truthFindingKeys } from '../helpers/sync-harness.js';
import { openTestStore, type TestStore } from '../helpers/test-stores.js';
import {
  filesStored,
  MASTER_KEY,
  runState,
  startWorker as startWorkerProcess,
  type WorkerProcess,
  waitFor,
} from './worker-process.js';

// Each test starts several mdec processes: their start-up, not the work, sets the time.
describe('mdec worker on SQLite', { timeout: 240_000 }, () => {
  let sim: TestSimulator;
  let db: TestStore;
  const mdec = (...args: string[]) =>
    runMdec(['--db', db.location, ...args], { env: { MDEC_MASTER_KEY: MASTER_KEY } });
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 200, seed: 14, devicesPerFile: 25 });
    db = await openTestStore('sqlite');
  });
  const started: WorkerProcess[] = [];
  const startWorker = (location: string) => {
    const w = startWorkerProcess(location);
    started.push(w);
    return w;
  };
  afterAll(async () => {
    // A failed test leaves no worker behind.
    for (const w of started) if (w.child.exitCode === null) w.child.kill('SIGKILL');
    await db.drop();
    await sim.close();
  });

  /** The niceness of each thread of a process (Linux: field 19 of /proc/PID/task/TID/stat). */
  const threadNiceness = (pid: number) =>
    readdirSync(`/proc/${pid}/task`).map((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    });

  it('runs every thread at a niceness 10 higher, and refuses a --nice out of range', async () => {
    const ownNiceness = threadNiceness(process.pid)[0]!;
    const w = startWorker(db.location);
    await waitFor('the worker to start', async () => w.log().includes('worker started'));
    expect(new Set(threadNiceness(w.child.pid!))).toEqual(new Set([Math.min(19, ownNiceness + 10)]));
    w.child.kill('SIGTERM');
    expect((await once(w.child, 'exit'))[0]).toBe(0);
    const bad = await mdec('worker', '--nice', '25');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--nice must be a whole number from -20 to 19/);
  });

  it('refuses to sync an inactive connector unless forced', async () => {
    await addConnector(db.store, sim, {}, 'paused');
    await new ConnectorRepository(db.store, TEST_SECRETS).update(
      (await new ConnectorRepository(db.store, TEST_SECRETS).byName('paused'))!.id,
      { active: false },
    );
    const refused = await mdec('sync', '--connector', 'paused');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/inactive.*--force/);
    const queued = await mdec('--json', 'sync', '--connector', 'paused', '--enqueue', '--force');
    expect(queued.code, queued.stderr).toBe(0);
    const { runId } = JSON.parse(queued.stdout) as { runId: number };
    // A second request while one waits is that run: runs of one connector do not pile up.
    const again = await mdec('sync', '--connector', 'paused', '--enqueue', '--force');
    expect(Number(again.stdout.trim())).toBe(runId);
    const cancelled = await mdec('runs', 'cancel', String(runId));
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(await runState(db.store, runId)).toBe('cancelled');
    expect((await mdec('runs', 'cancel', String(runId))).code).toBe(2);
  });

  it('runs an enqueued sync; SIGTERM checkpoints, releases and exits 0; the next worker resumes it', async () => {
    const connector = await addConnector(db.store, sim, { dataTypes: ['machines', 'vulnerabilities'] });
    const show = async () =>
      JSON.parse((await mdec('--json', 'connector', 'show', '--name', 'test')).stdout) as Record<
        string,
        unknown
      >;
    expect(await show()).toMatchObject({
      state: 'registered',
      nextRunAt: null,
      lastRun: null,
      suspended: false,
    });

    const enqueued = await mdec('sync', '--connector', 'test', '--enqueue', '--mode', 'full');
    expect(enqueued.code, enqueued.stderr).toBe(0);
    const runId = Number(enqueued.stdout.trim());
    expect(await runState(db.store, runId)).toBe('queued');

    // Slow export files, so SIGTERM lands between two of them.
    await sim.fault({ kind: 'slow', path: '/blob/', count: 100, param: 1500 });
    const first = startWorker(db.location);
    await waitFor('two export files stored', async () => (await filesStored(db.store, connector.id)) >= 2);
    const live = await new ConnectorRepository(db.store, TEST_SECRETS).byId(connector.id);
    expect((await connectorStatus(db.store, live!)).state).toBe('processing');
    first.child.kill('SIGTERM');
    const [code] = (await once(first.child, 'exit')) as [number];
    expect(code, first.log()).toBe(0);
    const stoppedAt = await filesStored(db.store, connector.id);
    expect(stoppedAt).toBeGreaterThanOrEqual(2);
    expect(await runState(db.store, runId)).toBe('queued');
    // The lease and the queue's hold are given back: nothing waits for an expiry.
    expect(await db.store.db.selectFrom('syncLeases').selectAll().execute()).toEqual([]);

    await sim.admin('DELETE', '/faults');
    const second = startWorker(db.location);
    await waitFor('the run to succeed', async () => (await runState(db.store, runId)) === 'succeeded');
    second.child.kill('SIGTERM');
    expect(((await once(second.child, 'exit')) as [number])[0]).toBe(0);

    expect(await openFindingKeys(db.store, connector.id)).toEqual(await truthFindingKeys(sim));
    // Resumed from the checkpoint: the second worker did not read the files the first had stored.
    const run = await new RunRepository(db.store).byId(runId);
    const v = run!.counters.vulnerabilities!;
    expect(v.inserted + v.unchanged).toBeLessThan((await truthFindingKeys(sim)).length);
    expect(await show()).toMatchObject({ state: 'processed', lastRun: { id: runId, state: 'succeeded' } });

    // Logs: one JSON line per event, with run id and connector, never the secret.
    const lines = (first.log() + second.log()).trim().split('\n');
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.some((e) => e.msg === 'run checkpointed and released' && e.runId === runId)).toBe(true);
    expect(
      events.some((e) => e.msg === 'run finished' && e.connector === 'test' && e.state === 'succeeded'),
    ).toBe(true);
    expect(lines.join('\n')).not.toContain(sim.sim.info.clientSecret);

    const listed = await mdec('runs', 'list', '--connector', 'test');
    expect(listed.stdout).toMatch(new RegExp(`^${runId}\\s+test\\s+manual\\s+full\\s+succeeded`, 'm'));
    const shown = await mdec('runs', 'show', String(runId));
    expect(shown.stdout).toMatch(/vulnerabilities\s+complete/);
  });

  it('retries a failed run with backoff, then suspends the schedule until the connector is edited', async () => {
    const c = await addConnector(db.store, sim, { dataTypes: ['machines'], maxFailedRuns: 2 }, 'broken', {
      clientSecret: 'wrong secret',
    });
    await new ConnectorRepository(db.store, TEST_SECRETS).update(c.id, { schedule: 'hourly' });
    const enqueued = await mdec('sync', '--connector', 'broken', '--enqueue');
    const runId = Number(enqueued.stdout.trim());
    const worker = startWorker(db.location);
    await waitFor('the schedule to be suspended', async () =>
      Boolean((await new ConnectorRepository(db.store, TEST_SECRETS).byId(c.id))?.suspended),
    );
    worker.child.kill('SIGTERM');
    await once(worker.child, 'exit');
    const runs = await new RunRepository(db.store).list(c.id);
    expect(runs.map((r) => [r.trigger, r.state])).toEqual([
      ['retry', 'failed'],
      ['manual', 'failed'],
    ]);
    expect(runs[1]!.id).toBe(runId);
    const shown = JSON.parse((await mdec('--json', 'connector', 'show', '--name', 'broken')).stdout);
    expect(shown).toMatchObject({ state: 'failed', nextRunAt: null, suspended: true });
    expect(shown.suspendedReason).toMatch(/2 failed runs in a row/);
    expect((await mdec('connector', 'edit', '--name', 'broken', '--max-failed-runs', '3')).code).toBe(0);
    const edited = JSON.parse((await mdec('--json', 'connector', 'show', '--name', 'broken')).stdout);
    expect(edited).toMatchObject({ state: 'scheduled', suspended: false });
    expect(edited.nextRunAt).not.toBeNull();
  });
});
