import type { Connector } from '../store/connectors/connector-repository.js';
import { nextRunAfter } from './schedule.js';

export type ScheduleFacts = Pick<
  Connector,
  'active' | 'schedule' | 'scheduleStart' | 'scheduleEnd' | 'scheduledThrough' | 'createdAt' | 'suspended'
>;

/**
 * The connector's next scheduled run: the first slot of its schedule after the slots already
 * consumed, within its start and end dates. It may lie in the past: a worker that was down while it
 * was due starts it once, however many slots it missed. None for an inactive or suspended connector,
 * one without a schedule, or a schedule that is over.
 */
export function nextScheduledRun(c: ScheduleFacts): Date | null {
  if (!c.active || !c.schedule || c.suspended) return null;
  return nextRunAfter(c.schedule, new Date(c.scheduledThrough ?? c.createdAt), {
    start: c.scheduleStart ? new Date(c.scheduleStart) : null,
    end: c.scheduleEnd ? new Date(c.scheduleEnd) : null,
  });
}
