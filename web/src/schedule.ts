/**
 * The schedule text the API stores (docs/api.md#connectors): `hourly`, `daily@HH:MM`,
 * `weekly@mon@HH:MM`, `monthly@D@HH:MM`, `once@YYYY-MM-DDTHH:MMZ`, all in UTC; null for manual only.
 */
export interface ScheduleForm {
  repeats: 'none' | 'hourly' | 'daily' | 'weekly' | 'monthly' | 'once' | 'cron';
  time: string;
  weekday: string;
  dayOfMonth: string;
  onceAt: string;
  cron: string;
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

export function parseSchedule(text: string | null): ScheduleForm {
  const form: ScheduleForm = {
    repeats: 'none',
    time: '02:00',
    weekday: 'sun',
    dayOfMonth: '1',
    onceAt: '',
    cron: '',
  };
  if (!text) return form;
  const [kind, ...rest] = text.split('@');
  if (kind === 'hourly') return { ...form, repeats: 'hourly' };
  if (kind === 'daily') return { ...form, repeats: 'daily', time: rest[0] ?? form.time };
  if (kind === 'weekly')
    return { ...form, repeats: 'weekly', weekday: rest[0] ?? 'sun', time: rest[1] ?? form.time };
  if (kind === 'monthly')
    return { ...form, repeats: 'monthly', dayOfMonth: rest[0] ?? '1', time: rest[1] ?? form.time };
  if (kind === 'once') return { ...form, repeats: 'once', onceAt: (rest[0] ?? '').replace(/Z$/, '') };
  return { ...form, repeats: 'cron', cron: text };
}

export function scheduleText(form: ScheduleForm): string | null {
  switch (form.repeats) {
    case 'none':
      return null;
    case 'hourly':
      return 'hourly';
    case 'daily':
      return `daily@${form.time}`;
    case 'weekly':
      return `weekly@${form.weekday}@${form.time}`;
    case 'monthly':
      return `monthly@${form.dayOfMonth}@${form.time}`;
    case 'once':
      return `once@${form.onceAt.slice(0, 16)}Z`;
    case 'cron':
      return form.cron.trim();
  }
}
