import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointRepository } from '../../src/store/runs/checkpoint-repository.js';
import { silentProgress } from '../../src/sync/progress.js';
import { startTestSimulator, type TestSimulator } from '../helpers/simulator-fixture.js';
import {
  addConnector,
  openFindingKeys,
  sync,
  testLimiter,
  truthFindingKeys,
} from '../helpers/sync-harness.js';
import { openTestStore, STORE_KINDS } from '../helpers/test-stores.js';

/**
 * The watermarks of the machines, vulnerabilities and alerts streams are read back as data: one
 * that does not validate is dropped with a note, and the stream starts as on a first run (a sweep, a
 * full pass, the initial lookback) instead of computing a window from garbage.
 */
describe.each(STORE_KINDS)('stream watermarks that cannot be trusted (%s)', (kind) => {
  let sim: TestSimulator;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 40, seed: 4 });
  });
  afterAll(() => sim.close());

  it('are dropped with a note; the run reads afresh and matches the truth', async () => {
    const db = await openTestStore(kind);
    try {
      const c = await addConnector(db.store, sim, { dataTypes: ['vulnerabilities', 'alerts'] });
      expect((await sync(db.store, sim, 'full')).state).toBe('succeeded');
      const alertCount = async () =>
        (await db.store.db.selectFrom('alerts').select('id').where('connectorId', '=', c.id).execute())
          .length;
      const alertsBefore = await alertCount();
      expect(alertsBefore).toBeGreaterThan(0);
      await sim.advanceHours(2);
      const checkpoints = new CheckpointRepository(db.store);
      const at = new Date().toISOString();
      await checkpoints.put(c.id, 'machines:watermark', { sweepRunId: 'one', readAt: 7 }, at);
      await checkpoints.put(c.id, 'vulnerabilities:watermark', { time: 'soon', lastFullAt: null }, at);
      await checkpoints.put(c.id, 'alerts:watermark', { lastUpdateTime: 'yesterday' }, at);
      const notes: string[] = [];
      const result = await sync(db.store, sim, 'auto', 'test', testLimiter(), {
        ...silentProgress,
        note: (message) => notes.push(message),
      });
      expect(result.state, JSON.stringify(result.counters)).toBe('succeeded');
      expect(result.mode).toBe('full');
      for (const stream of ['machines:watermark', 'vulnerabilities:watermark', 'alerts:watermark'])
        expect(notes.join('\n')).toContain(`the saved ${stream} checkpoint is not usable`);
      expect(await openFindingKeys(db.store, c.id)).toEqual(await truthFindingKeys(sim));
      expect(await alertCount()).toBeGreaterThanOrEqual(alertsBefore);
    } finally {
      await db.drop();
    }
  });
});
