import { describe, expect, it } from 'vitest';
import { displayState } from './connector-status.js';
import { nextRunAfter, parseSchedule, ScheduleError } from './schedule.js';

describe('schedules', () => {
  it('accepts the stored grammar and cron lines, and refuses anything else with what is allowed', () => {
    for (const ok of [
      'hourly',
      'daily@00:00',
      'weekly@SUN@23:59',
      'monthly@31@12:00',
      'once@2026-05-01T10:00Z',
      '*/30 * * * *',
    ])
      expect(parseSchedule(` ${ok} `)).toBe(ok);
    for (const bad of [
      'daily@24:00',
      'weekly@funday@10:00',
      'monthly@32@10:00',
      'every day',
      '61 * * * *',
      'once@2026-13-01T10:00Z',
    ])
      expect(() => parseSchedule(bad), bad).toThrow(ScheduleError);
    expect(() => parseSchedule('sometimes')).toThrow(/hourly, daily@HH:MM/);
  });

  it('computes next runs in UTC within the start and end dates', () => {
    const at = (iso: string) => new Date(iso);
    expect(nextRunAfter('daily@02:00', at('2026-03-01T02:00:00Z'))).toEqual(at('2026-03-02T02:00:00Z'));
    expect(nextRunAfter('weekly@mon@09:00', at('2026-03-01T00:00:00Z'))).toEqual(at('2026-03-02T09:00:00Z'));
    // A month without the day has no run.
    expect(nextRunAfter('monthly@31@06:00', at('2026-04-01T00:00:00Z'))).toEqual(at('2026-05-31T06:00:00Z'));
    expect(nextRunAfter('once@2026-03-10T12:00Z', at('2026-03-10T12:00:00Z'))).toBeNull();
    const window = { start: at('2026-03-10T00:00:00Z'), end: at('2026-03-12T00:00:00Z') };
    expect(nextRunAfter('hourly', at('2026-03-01T00:00:00Z'), window)).toEqual(at('2026-03-10T00:00:00Z'));
    expect(nextRunAfter('daily@23:00', at('2026-03-11T23:00:00Z'), window)).toBeNull();
  });

  it('names the state in one order: processing, scheduled, the last outcome, registered', () => {
    const next = new Date();
    expect(displayState({ running: true, nextRunAt: next, lastOutcome: 'failed' })).toBe('processing');
    expect(displayState({ running: false, nextRunAt: next, lastOutcome: 'failed' })).toBe('scheduled');
    expect(displayState({ running: false, nextRunAt: null, lastOutcome: 'partial' })).toBe('processed');
    expect(displayState({ running: false, nextRunAt: null, lastOutcome: 'failed' })).toBe('failed');
    expect(displayState({ running: false, nextRunAt: null, lastOutcome: undefined })).toBe('registered');
  });
});
