import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
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
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

/**
 * The checkpoint of a full pass is read back as data, not trusted by its type: one that does not
 * validate, or points outside the snapshot, is dropped with a note and the pass starts over. Trusting
 * one that claims every file was read would close every finding the pass never saw.
 */
describe.each(STORE_KINDS)('a saved export checkpoint that cannot be trusted (%s)', (kind) => {
  let sim: TestSimulator;
  let db: TestStore;
  let connectorId: number;
  beforeAll(async () => {
    sim = await startTestSimulator({ devices: 40, seed: 3, devicesPerFile: 15 });
  });
  afterAll(() => sim.close());
  beforeEach(async () => {
    db = await openTestStore(kind);
    connectorId = (await addConnector(db.store, sim, { dataTypes: ['vulnerabilities'] })).id;
    expect((await sync(db.store, sim, 'full')).state).toBe('succeeded');
    await sim.advanceHours(6);
  });
  afterEach(() => db.drop());

  const syncNoting = async () => {
    const notes: string[] = [];
    const result = await sync(db.store, sim, 'full', 'test', testLimiter(), {
      ...silentProgress,
      note: (message) => notes.push(message),
    });
    return { result, notes };
  };

  it.each([
    [
      'points past the last file of the snapshot',
      (generatedTime: string) => ({
        seenToken: 999,
        generatedTime,
        fileIndex: 99,
        line: 0,
      }),
      /points at file 100 of a snapshot of 3/,
    ],
    [
      'has a field of the wrong type',
      (generatedTime: string) => ({
        seenToken: 'x',
        generatedTime,
        fileIndex: 1,
        line: 5,
      }),
      /not usable \(seenToken: /,
    ],
    ['is not an object', () => 'garbage', /not usable/],
  ])(
    'one that %s is dropped with a note; the pass reads the snapshot and closes nothing wrongly',
    async (_name, value, note) => {
      const generatedTime = (await sim.admin('GET', '/clock')).generatedTime as string;
      await new CheckpointRepository(db.store).put(
        connectorId,
        'vulnerabilities',
        value(generatedTime),
        new Date().toISOString(),
      );
      const { result, notes } = await syncNoting();
      expect(result.state, JSON.stringify(result.counters)).toBe('succeeded');
      expect(await openFindingKeys(db.store, connectorId)).toEqual(await truthFindingKeys(sim));
      expect(notes.join('\n')).toMatch(note);
    },
  );
});
