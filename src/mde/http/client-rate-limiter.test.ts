import { describe, expect, it } from 'vitest';
import { ClientRateLimiter, type LimiterTime } from './client-rate-limiter.js';

/**
 * A clock that moves only when someone sleeps, so a day of throttling runs in microseconds. A sleeper
 * wakes at its own deadline: concurrent sleepers of one minute all wake one minute later.
 */
class FakeTime implements LimiterTime {
  t = 0;
  now = () => this.t;
  sleep = async (ms: number) => {
    const wake = this.t + ms;
    await Promise.resolve();
    this.t = Math.max(this.t, wake);
  };
}

function setup() {
  const time = new FakeTime();
  const shared = new ClientRateLimiter({ time });
  return { time, shared, limiter: shared.forApp('tenant-a', 'app-1') };
}

describe('ClientRateLimiter', () => {
  it('lets the minute budget through without waiting, then waits for the window to slide', async () => {
    const { time, limiter } = setup();
    for (let i = 0; i < 100; i++) expect(await limiter.acquire('entity')).toBe(0);
    expect(time.t).toBe(0);
    expect(await limiter.acquire('entity')).toBe(60_000);
    expect(time.t).toBe(60_000);
    expect(limiter.throttledMs).toBe(60_000);
  });

  it('keeps the hour budget: 1,500 entity calls, then waits for the hour', async () => {
    const { time, limiter } = setup();
    for (let i = 0; i < 1500; i++) await limiter.acquire('entity');
    // 100 per minute: the 1,500th call went out at minute 14.
    expect(time.t).toBe(14 * 60_000);
    expect(limiter.available('entity')).toEqual({ minute: 0, hour: 0 });
    await limiter.acquire('entity');
    expect(time.t).toBe(3600_000);
  });

  it.each([
    ['machineVulnerabilities', 50, 1500],
    ['assessmentJson', 30, 1000],
    ['assessmentExport', 5, 20],
    ['advancedQuery', 45, 1500],
  ] as const)('applies the documented budget of %s (%i/min, %i/h)', async (family, perMinute, perHour) => {
    const { time, limiter } = setup();
    expect(limiter.available(family)).toEqual({ minute: perMinute, hour: perHour });
    for (let i = 0; i < perMinute; i++) await limiter.acquire(family);
    expect(time.t).toBe(0);
    await limiter.acquire(family);
    expect(time.t).toBe(60_000);
  });

  it('spends the export budget of 20 per hour over four minutes, then waits the hour out', async () => {
    const { time, limiter } = setup();
    const at: number[] = [];
    for (let i = 0; i < 21; i++) {
      await limiter.acquire('assessmentExport');
      at.push(time.t);
    }
    expect(at.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(at[5]).toBe(60_000);
    expect(at[19]).toBe(3 * 60_000);
    expect(at[20]).toBe(3600_000);
  });

  it('pauses the whole family after a 429, and only that family', async () => {
    const { time, limiter } = setup();
    await limiter.acquire('entity');
    limiter.pause('entity', 5000);
    expect(await limiter.acquire('tvmEntity')).toBe(0);
    expect(await limiter.acquire('entity')).toBe(5000);
    expect(time.t).toBe(5000);
    // A shorter pause never cuts a longer one.
    limiter.pause('entity', 10_000);
    limiter.pause('entity', 1000);
    expect(await limiter.acquire('entity')).toBe(10_000);
    expect(limiter.throttledMs).toBe(15_000);
  });

  it('shares budgets per tenant and app, not across tenants', async () => {
    const { time, shared } = setup();
    const a1 = shared.forApp('tenant-a', 'app-1');
    const a1again = shared.forApp('TENANT-A', 'APP-1');
    const b1 = shared.forApp('tenant-b', 'app-1');
    const a2 = shared.forApp('tenant-a', 'app-2');
    for (let i = 0; i < 3; i++) await a1.acquire('assessmentExport');
    for (let i = 0; i < 2; i++) await a1again.acquire('assessmentExport');
    for (let i = 0; i < 5; i++) await b1.acquire('assessmentExport');
    for (let i = 0; i < 5; i++) await a2.acquire('assessmentExport');
    expect(time.t).toBe(0);
    await a1.acquire('assessmentExport');
    expect(time.t).toBe(60_000);
    // A pause on one tenant leaves another alone.
    a1.pause('entity', 30_000);
    expect(await b1.acquire('entity')).toBe(0);
    expect(a1.throttledMs).toBe(60_000);
    expect(a1again.throttledMs).toBe(0);
  });

  it('never grants more than the budget to concurrent callers', async () => {
    const { time, limiter } = setup();
    const grants: number[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        await limiter.acquire('assessmentExport');
        grants.push(time.t);
      }),
    );
    // In every sliding minute at most 5 calls.
    for (const t of grants)
      expect(grants.filter((g) => g > t - 60_000 && g <= t).length).toBeLessThanOrEqual(5);
    expect(grants).toEqual([0, 0, 0, 0, 0, 60_000, 60_000, 60_000, 60_000, 60_000, 120_000, 120_000]);
  });

  it('accepts budget overrides', async () => {
    const time = new FakeTime();
    const limiter = new ClientRateLimiter({ time, budgets: { entity: { perMinute: 2, perHour: 3 } } }).forApp(
      't',
      'a',
    );
    for (let i = 0; i < 3; i++) await limiter.acquire('entity');
    expect(time.t).toBe(60_000);
    await limiter.acquire('entity');
    expect(time.t).toBe(3600_000);
  });

  it('stops waiting when the signal aborts', async () => {
    const shared = new ClientRateLimiter({ budgets: { entity: { perMinute: 1, perHour: 10 } } });
    const limiter = shared.forApp('t', 'a');
    await limiter.acquire('entity');
    const controller = new AbortController();
    const pending = limiter.acquire('entity', controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(pending).rejects.toThrow('cancelled');
  });
});
