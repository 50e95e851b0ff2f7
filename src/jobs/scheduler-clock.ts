/** The time the scheduler and the worker read; tests inject a simulated one (docs/scheduling.md). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
