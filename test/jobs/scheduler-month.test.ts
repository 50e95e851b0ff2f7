import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Scheduler } from '../../src/jobs/scheduler.js';
import type { Clock } from '../../src/jobs/scheduler-clock.js';
import { TableJobQueue } from '../../src/jobs/table-job-queue.js';
import { parseConnectorOptions } from '../../src/normalize/connector-options.js';
import { ConnectorRepository } from '../../src/store/connectors/connector-repository.js';
import { RunRepository } from '../../src/store/runs/run-repository.js';
import { SyncLeaseRepository } from '../../src/store/runs/sync-lease-repository.js';
import { TEST_SECRETS } from '../helpers/sync-harness.js';
import { openTestStore, type TestStore } from '../helpers/test-stores.js';

/** A clock the test moves by hand: no real waiting. */
class ManualClock implements Clock {
  constructor(private at: number) {}
  now(): Date {
    return new Date(this.at);
  }
  set(iso: string | number): void {
    this.at = typeof iso === 'number' ? iso : Date.parse(iso);
  }
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** March 2026: it begins on a Sunday and has 31 days. */
const MONTH_START = Date.parse('2026-03-01T00:00:00Z');
const MONTH_END = Date.parse('2026-04-01T00:00:00Z');

describe('the scheduler on a simulated clock', () => {
  let db: TestStore;
  let clock: ManualClock;
  let scheduler: Scheduler;
  let queue: TableJobQueue;
  beforeEach(async () => {
    db = await openTestStore('sqlite');
    clock = new ManualClock(MONTH_START);
    queue = new TableJobQueue(db.store, { leaseMs: 5 * MINUTE }, clock);
    scheduler = new Scheduler({ store: db.store, secrets: TEST_SECRETS, queue, clock });
  });
  afterEach(async () => {
    await db.drop();
  });

  async function add(
    name: string,
    schedule: string,
    more: { active?: boolean; scheduleStart?: string; scheduleEnd?: string } = {},
  ) {
    return new ConnectorRepository(db.store, TEST_SECRETS, () => clock.now()).create({
      name,
      network: 'default',
      tenantId: '11111111-2222-4333-8444-555555555555',
      clientId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
      cloud: 'commercial',
      apiUrl: 'https://api.security.microsoft.com',
      loginUrl: 'https://login.microsoftonline.com',
      scope: 'https://api.securitycenter.microsoft.com/.default',
      active: more.active ?? true,
      schedule,
      ...(more.scheduleStart ? { scheduleStart: more.scheduleStart } : {}),
      ...(more.scheduleEnd ? { scheduleEnd: more.scheduleEnd } : {}),
      options: parseConnectorOptions({}),
      credentials: { clientSecret: 'x' },
    });
  }

  /** A worker that finishes every queued run the moment it is queued. */
  async function runEverythingQueued(): Promise<void> {
    for (let job = await queue.claim(); job; job = await queue.claim()) {
      await new RunRepository(db.store).finish(
        job.runId,
        {
          state: 'succeeded',
          counters: {},
          apiCalls: 0,
          retries: 0,
          throttledMs: 0,
          snapshotTime: null,
          error: null,
        },
        clock.now(),
      );
      await queue.complete(job);
    }
  }

  /** Ticks every `step` from `from` to `to` (inclusive); answers when each connector fired. */
  async function tickThrough(from: number, to: number, step: number, finish = true) {
    const fired = new Map<string, string[]>();
    for (let t = from; t <= to; t += step) {
      clock.set(t);
      for (const run of await scheduler.tick()) {
        // Fired exactly at its slot: the tick that found it due is the slot itself.
        expect(run.slot.toISOString(), run.connector).toBe(clock.now().toISOString());
        fired.set(run.connector, [...(fired.get(run.connector) ?? []), run.slot.toISOString()]);
      }
      if (finish) await runEverythingQueued();
    }
    return fired;
  }

  function every(step: number, first: number, until = MONTH_END): string[] {
    const out: string[] = [];
    for (let t = first; t <= until; t += step) out.push(new Date(t).toISOString());
    return out;
  }

  it('fires each kind of schedule exactly at its times over a month; start and end dates hold; inactive never fires', async () => {
    await add('hourly', 'hourly');
    await add('daily', 'daily@02:00');
    await add('weekly', 'weekly@mon@09:00');
    await add('monthly', 'monthly@15@06:00');
    await add('once', 'once@2026-03-10T12:00Z');
    await add('cron', '0 */6 * * *');
    await add('window', 'daily@23:00', {
      scheduleStart: '2026-03-10T00:00:00.000Z',
      scheduleEnd: '2026-03-20T00:00:00.000Z',
    });
    await add('inactive', 'hourly', { active: false });

    // Every slot is on the hour, so hourly ticks see each one at its exact time; a slot between two
    // ticks would be found late and fail the check in tickThrough.
    const fired = await tickThrough(MONTH_START, MONTH_END, HOUR);

    expect(fired.get('hourly')).toEqual(every(HOUR, MONTH_START + HOUR));
    expect(fired.get('daily')).toEqual(every(DAY, MONTH_START + 2 * HOUR));
    expect(fired.get('weekly')).toEqual(
      ['02', '09', '16', '23', '30'].map((d) => `2026-03-${d}T09:00:00.000Z`),
    );
    expect(fired.get('monthly')).toEqual(['2026-03-15T06:00:00.000Z']);
    expect(fired.get('once')).toEqual(['2026-03-10T12:00:00.000Z']);
    expect(fired.get('cron')).toEqual(every(6 * HOUR, MONTH_START + 6 * HOUR));
    expect(fired.get('window')).toEqual(
      every(DAY, Date.parse('2026-03-10T23:00:00Z'), Date.parse('2026-03-19T23:00:00Z')),
    );
    expect(fired.get('inactive')).toBeUndefined();
    const runs = await new RunRepository(db.store).list(undefined, 10_000);
    expect(runs.every((r) => r.trigger === 'schedule')).toBe(true);
  }, 120_000);

  it('starts one catch-up run per connector after a worker was down, not one per missed slot', async () => {
    await add('hourly', 'hourly');
    await add('daily', 'daily@02:00');
    const before = await tickThrough(MONTH_START, MONTH_START + 3 * DAY, HOUR);
    expect(before.get('daily')).toHaveLength(3);
    // Down for three days and a half: 84 hourly and 3 daily slots go by.
    const back = MONTH_START + 6.5 * DAY + 10 * MINUTE;
    clock.set(back);
    const caughtUp = await scheduler.tick();
    expect(caughtUp.map((r) => r.connector).sort()).toEqual(['daily', 'hourly']);
    await runEverythingQueued();
    // Nothing more is due until the next slot.
    clock.set(back + 20 * MINUTE);
    expect(await scheduler.tick()).toEqual([]);
    clock.set(MONTH_START + 7 * DAY);
    expect((await scheduler.tick()).map((r) => r.connector)).toEqual(['hourly']);
  });

  it('never doubles a run that takes longer than its interval: the next one waits for it', async () => {
    const c = await add('hourly', 'hourly');
    const leases = new SyncLeaseRepository(db.store, { clock: () => clock.now() });
    clock.set(MONTH_START + HOUR);
    const [first] = await scheduler.tick();
    expect(first?.connector).toBe('hourly');
    // A worker takes the run and holds the connector's lease for three and a half hours.
    const job = await queue.claim();
    const claim = await leases.acquire(c.id, 10 * MINUTE);
    if (!claim.acquired) throw new Error('the lease should be free');
    for (let t = MONTH_START + HOUR; t < MONTH_START + 4.5 * HOUR; t += 5 * MINUTE) {
      clock.set(t);
      await leases.renew(claim.lease, 10 * MINUTE);
      expect(await scheduler.tick()).toEqual([]);
    }
    await leases.release(claim.lease);
    await queue.complete(job!);
    await new RunRepository(db.store).finish(
      first!.runId,
      {
        state: 'succeeded',
        counters: {},
        apiCalls: 0,
        retries: 0,
        throttledMs: 0,
        snapshotTime: null,
        error: null,
      },
      clock.now(),
    );
    // Once it ended, the slots it overran become one run, not three.
    const next = await scheduler.tick();
    expect(next).toHaveLength(1);
    expect(await scheduler.tick()).toEqual([]);
  });

  it('of several schedulers ticking at once, exactly one queues a due run', async () => {
    await add('daily', 'daily@02:00');
    clock.set(MONTH_START + 2 * HOUR);
    const others = [1, 2, 3].map(
      () => new Scheduler({ store: db.store, secrets: TEST_SECRETS, queue, clock }),
    );
    const all = (await Promise.all([scheduler, ...others].map((s) => s.tick()))).flat();
    expect(all).toHaveLength(1);
  });
});
