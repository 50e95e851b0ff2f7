import { Cron } from 'croner';

/**
 * A connector's schedule (docs/scheduling.md): the stored grammar `hourly`, `daily@HH:MM`,
 * `weekly@DAY@HH:MM`, `monthly@D@HH:MM`, `once@YYYY-MM-DDTHH:MMZ` or a 5-field cron line, all in UTC,
 * within optional start and end dates. Croner computes the times; this module only translates the
 * grammar into its patterns.
 */
export interface ScheduleWindow {
  /** No run before this instant (inclusive). */
  start?: Date | null;
  /** No run at or after this instant. */
  end?: Date | null;
}

export class ScheduleError extends Error {
  readonly code = 'schedule' as const;
}

export const SCHEDULE_GRAMMAR =
  'hourly, daily@HH:MM, weekly@mon@HH:MM, monthly@D@HH:MM, once@YYYY-MM-DDTHH:MMZ (UTC) or a 5-field cron line';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const TIME = '([01]\\d|2[0-3]):([0-5]\\d)';
const DAILY = new RegExp(`^daily@${TIME}$`, 'i');
const WEEKLY = new RegExp(`^weekly@(${DAYS.join('|')})@${TIME}$`, 'i');
const MONTHLY = new RegExp(`^monthly@([1-9]|[12]\\d|3[01])@${TIME}$`, 'i');
const ONCE = /^once@(\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?Z)$/i;

/** The croner pattern of a stored schedule: a cron line, or the instant of a single run. */
function patternOf(spec: string): string | Date {
  const s = spec.trim();
  if (/^hourly$/i.test(s)) return '0 * * * *';
  let m = DAILY.exec(s);
  if (m) return `${Number(m[2])} ${Number(m[1])} * * *`;
  m = WEEKLY.exec(s);
  if (m)
    return `${Number(m[3])} ${Number(m[2])} * * ${DAYS.indexOf(m[1]!.toLowerCase() as (typeof DAYS)[number])}`;
  m = MONTHLY.exec(s);
  if (m) return `${Number(m[3])} ${Number(m[2])} ${Number(m[1])} * *`;
  m = ONCE.exec(s);
  if (m) {
    const at = new Date(m[1]!.toUpperCase());
    if (Number.isNaN(at.getTime())) throw new ScheduleError(`"${spec}" is not a real date and time`);
    return at;
  }
  if (s.split(/\s+/).length === 5) return s;
  throw new ScheduleError(`the schedule must be ${SCHEDULE_GRAMMAR} (got "${spec}")`);
}

function cronOf(spec: string, window: ScheduleWindow = {}): Cron {
  const pattern = patternOf(spec);
  try {
    return new Cron(pattern, {
      timezone: 'UTC',
      mode: '5-part',
      ...(window.start ? { startAt: window.start } : {}),
      ...(window.end ? { stopAt: window.end } : {}),
    });
  } catch (err) {
    throw new ScheduleError(`the schedule "${spec}" is not valid: ${(err as Error).message}`);
  }
}

/** The schedule as it is stored (trimmed), or a ScheduleError that says what is allowed. */
export function parseSchedule(spec: string): string {
  cronOf(spec);
  return spec.trim();
}

/** The first run strictly after `after`, within the window; null when the schedule is over. */
export function nextRunAfter(spec: string, after: Date, window: ScheduleWindow = {}): Date | null {
  const cron = cronOf(spec, window);
  // croner's startAt only bounds runs, it does not move the reference: ask from just before it.
  const from = window.start && window.start > after ? new Date(window.start.getTime() - 1) : after;
  return cron.nextRun(from);
}
