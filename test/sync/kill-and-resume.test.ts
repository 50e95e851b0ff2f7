import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { selectFindings } from '../../src/store/findings/finding-repository.js';
import { CheckpointRepository } from '../../src/store/runs/checkpoint-repository.js';
import { RunRepository } from '../../src/store/runs/run-repository.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import { addConnector, openFindingKeys, sync, truthFindingKeys } from '../helpers/sync-harness.js';
import { openTestStore, type TestStore } from '../helpers/test-stores.js';

/** The part of the full pass's checkpoint this test watches. */
const PassPosition = z.object({ fileIndex: z.number(), line: z.number() });

const ROOT = new URL('../../', import.meta.url).pathname;
/** The key TEST_SECRETS seals with, so the CLI in the child process can open the connector's secret. */
const MASTER_KEY = '07'.repeat(32);

describe('a sync killed with SIGKILL mid-way', () => {
  let sim: TestSimulator;
  let db: TestStore;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 400, seed: 9, devicesPerFile: 40 });
    db = await openTestStore('sqlite');
  });
  afterAll(async () => {
    await db.drop();
    await sim.close();
  });

  const cveIndexCount = async () =>
    (
      await sql<{
        n: number;
      }>`select count(*) as n from sqlite_master where type = 'index' and name = 'findings_cve'`.execute(
        db.store.db,
      )
    ).rows[0]!.n;

  it('resumes from its checkpoint, loses nothing and duplicates nothing', async () => {
    const connector = await addConnector(db.store, sim, { dataTypes: ['machines', 'vulnerabilities'] });
    // Every export file arrives slowly, so the kill lands between files.
    await sim.fault({ kind: 'slow', path: '/blob/', count: 100, param: 700 });
    const child = spawn(
      process.execPath,
      [`${ROOT}bin/mdec.js`, '--db', db.location, 'sync', '--connector', 'test', '--mode', 'full'],
      {
        cwd: ROOT,
        env: { ...process.env, MDEC_MASTER_KEY: MASTER_KEY },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr!.on('data', (c) => {
      stderr += String(c);
    });
    const checkpoints = new CheckpointRepository(db.store);
    let progress: { fileIndex: number; line: number } | undefined;
    for (let i = 0; i < 200; i++) {
      const saved = await checkpoints.read(connector.id, 'vulnerabilities', PassPosition);
      progress = saved && 'value' in saved ? saved.value : undefined;
      if (progress && progress.fileIndex >= 2) break;
      if (child.exitCode !== null) throw new Error(`the sync ended before it could be killed: ${stderr}`);
      await sleep(50);
    }
    expect(progress?.fileIndex, stderr).toBeGreaterThanOrEqual(2);
    child.kill('SIGKILL');
    await once(child, 'exit');
    const storedBefore = (await openFindingKeys(db.store, connector.id)).length;
    expect(storedBefore).toBeGreaterThan(0);
    // The killed pass was a first load: it had deferred the CVE index (first-load-indexes.ts).
    expect(await cveIndexCount()).toBe(0);

    await sim.admin('DELETE', '/faults');
    const resumed = await sync(db.store, sim, 'auto');
    expect(resumed.mode).toBe('full');
    expect(resumed.modeReason).toMatch(/resum/);
    expect(resumed.state).toBe('succeeded');
    // It went on from the checkpoint rather than starting over.
    const v = resumed.counters.vulnerabilities!;
    expect(v.inserted + v.unchanged).toBeLessThan((await truthFindingKeys(sim)).length);
    expect(await openFindingKeys(db.store, connector.id)).toEqual(await truthFindingKeys(sim));
    const dupes = await selectFindings(db.store)
      .select('findingKey')
      .groupBy('findingKey')
      .having((eb) => eb.fn.countAll(), '>', 1)
      .execute();
    expect(dupes).toEqual([]);
    // The resumed pass built the index its killed first attempt had deferred.
    expect(await cveIndexCount()).toBe(1);
    const runs = await new RunRepository(db.store).list(connector.id);
    expect(runs.map((r) => r.state)).toEqual(['succeeded', 'failed']);
  });
});
