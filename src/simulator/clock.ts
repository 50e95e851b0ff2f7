/**
 * The simulator's clock. Simulated time starts at `originMs` and moves only when a test or the
 * admin endpoint advances it, plus (optionally) with real time, so a long demo still sees time pass.
 */
export interface Clock {
  now(): number;
}

export class SimulatedClock implements Clock {
  private offsetMs = 0;
  private readonly realStart: number;

  constructor(
    private readonly originMs: number,
    private readonly followRealTime: boolean,
    private readonly realNow: () => number = Date.now,
  ) {
    this.realStart = realNow();
  }

  now(): number {
    const drift = this.followRealTime ? this.realNow() - this.realStart : 0;
    return this.originMs + this.offsetMs + drift;
  }

  /** Moves simulated time forward; never backward, because MDE's snapshots only move forward. */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('the clock only moves forward');
    this.offsetMs += ms;
    return this.now();
  }
}
