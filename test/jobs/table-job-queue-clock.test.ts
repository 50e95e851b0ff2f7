import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/jobs/scheduler-clock.js';
import { TableJobQueue } from '../../src/jobs/table-job-queue.js';
import { RunRepository } from '../../src/store/runs/run-repository.js';
import { addOfflineConnector } from '../helpers/offline-connector.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/test-stores.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

// The queue table decides when a run is due and whether a hold has expired by the database's clock,
// as sync leases do: a process whose clock is off neither steals a held run nor leaves a due one.
describe.each(STORE_KINDS)('the queue table on the database clock, on %s', (kind) => {
  let db: TestStore;
  let realNow: number;
  /** Sets this process's clock `offsetMs` away from the real time. */
  const clockOff = (offsetMs: number) => vi.setSystemTime(realNow + offsetMs);
  beforeEach(async () => {
    db = await openTestStore(kind);
    realNow = Date.now();
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(async () => {
    vi.useRealTimers();
    await db.drop();
  });

  async function queuedRun(name: string) {
    const connectorId = await addOfflineConnector(db.store, name);
    const runId = await new RunRepository(db.store).enqueue(connectorId, 'auto', 'manual', new Date());
    return { runId, connectorId };
  }

  it('a host whose clock is an hour off neither steals a held run nor leaves a due one waiting', async () => {
    const a = new TableJobQueue(db.store, { leaseMs: MINUTE }, systemClock);
    const b = new TableJobQueue(db.store, { leaseMs: MINUTE }, systemClock);
    const first = await queuedRun('first');

    // Queued by a process an hour fast: due now for a worker an hour slow.
    clockOff(HOUR);
    await a.enqueue(first);
    clockOff(-HOUR);
    const held = await b.claim();
    expect(held?.runId).toBe(first.runId);

    // Held for a minute by the database: a worker an hour fast does not take it, nor remove it.
    clockOff(HOUR);
    expect(await a.claim()).toBeUndefined();
    expect(await a.remove(first.runId)).toBe(false);
    // Renewed by its holder, an hour slow: still held for the one an hour fast.
    clockOff(-HOUR);
    await b.extend(held!);
    clockOff(HOUR);
    expect(await a.claim()).toBeUndefined();

    // Given back with a ten-minute wait by its holder's clock: ten minutes by the database's, for all.
    clockOff(-HOUR);
    await b.release(held!, new Date(Date.now() + 10 * MINUTE));
    clockOff(3 * HOUR);
    expect(await a.claim()).toBeUndefined();
    expect(await b.claim()).toBeUndefined();
    expect(await a.carries(first.runId)).toBe(true);

    // Queued to start in ten minutes by a process an hour slow: not due for one three hours fast.
    const second = await queuedRun('second');
    clockOff(-HOUR);
    await a.enqueue(second, { after: new Date(Date.now() + 10 * MINUTE) });
    clockOff(3 * HOUR);
    expect(await b.claim()).toBeUndefined();
  });

  it('a hold expires by the database clock, whatever the clock of its holder', async () => {
    const holder = new TableJobQueue(db.store, { leaseMs: 300 }, systemClock);
    const next = new TableJobQueue(db.store, { leaseMs: MINUTE }, systemClock);
    const run = await queuedRun('only');
    await next.enqueue(run);
    // Its holder's clock runs an hour fast: by it the hold lasts an hour more than it does.
    clockOff(HOUR);
    const held = await holder.claim();
    expect(held?.runId).toBe(run.runId);
    clockOff(0);
    expect(await next.claim()).toBeUndefined();
    // The holder was killed: its 300 ms hold expires by the database's clock.
    await sleep(400);
    expect((await next.claim())?.runId).toBe(run.runId);
  });
});
