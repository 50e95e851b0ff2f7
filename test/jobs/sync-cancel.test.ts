import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunRepository } from '../../src/store/runs/run-repository.js';
import { completion, runMdec, spawnMdec } from '../helpers/cli-runner.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, openFindingKeys, truthFindingKeys } from '../helpers/sync-harness.js';
import { openTestStore, type TestStore } from '../helpers/test-stores.js';
import { filesStored, MASTER_KEY, waitFor } from './worker-process.js';

// `mdec runs cancel` from another process reaches a sync started at a terminal, not only a worker's.
describe('mdec runs cancel on a foreground mdec sync', { timeout: 180_000 }, () => {
  let sim: TestSimulator;
  let db: TestStore;
  const env = { MDEC_MASTER_KEY: MASTER_KEY };
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 200, seed: 31, devicesPerFile: 25 });
    db = await openTestStore('sqlite');
  });
  afterAll(async () => {
    await db.drop();
    await sim.close();
  });

  it('stops at the next batch, cancelled, with its checkpoint; the next sync loses nothing', async () => {
    const connector = await addConnector(db.store, sim, { dataTypes: ['machines', 'vulnerabilities'] });
    // Slow export files, so the cancel lands between two of them.
    await sim.fault({ kind: 'slow', path: '/blob/', count: 100, param: 1500 });
    const child = spawnMdec(['--db', db.location, 'sync', '--connector', 'test', '--mode', 'full'], { env });
    const done = completion(child);
    try {
      await waitFor('an export file stored', async () => (await filesStored(db.store, connector.id)) >= 1);
      const runs = new RunRepository(db.store);
      const [run] = await runs.list(connector.id, 1);
      expect(run?.state).toBe('processing');

      const cancel = await runMdec(['--db', db.location, 'runs', 'cancel', String(run!.id)], { env });
      expect(cancel.code, cancel.stderr).toBe(0);
      expect(cancel.stdout).toMatch(/asked to stop/);

      const stopped = await done;
      // Cancelled from elsewhere: exit 1 (Ctrl-C is 130), the summary says so.
      expect(stopped.code, stopped.stdout + stopped.stderr).toBe(1);
      expect(stopped.stdout).toMatch(new RegExp(`^Run ${run!.id} \\(full: [^)]*\\) cancelled `));
      expect(stopped.stdout).toMatch(/Stopped: .*cancelled by mdec runs cancel/);
      const ended = await runs.byId(run!.id);
      expect(ended).toMatchObject({ state: 'cancelled' });
      expect(ended!.cancelRequestedAt).not.toBeNull();
      // The batches stored before the stop are kept with their checkpoint; the lease is given back.
      const kept = await filesStored(db.store, connector.id);
      expect(kept).toBeGreaterThanOrEqual(1);
      expect(await db.store.db.selectFrom('syncLeases').selectAll().execute()).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await sim.admin('DELETE', '/faults');
    }

    // The next sync resumes the full pass from the checkpoint and ends with the simulator's truth.
    const next = await runMdec(['--db', db.location, 'sync', '--connector', 'test'], { env });
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stdout).toMatch(/\(full: [^)]*\) succeeded/);
    const truth = await truthFindingKeys(sim);
    expect(await openFindingKeys(db.store, connector.id)).toEqual(truth);
    const [resumed] = await new RunRepository(db.store).list(connector.id, 1);
    const v = resumed!.counters.vulnerabilities!;
    expect(v.inserted + v.unchanged).toBeLessThan(truth.length);
  });
});
