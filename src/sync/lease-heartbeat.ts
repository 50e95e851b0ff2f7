import type { SyncLease, SyncLeaseRepository } from '../store/runs/sync-lease-repository.js';

/** How long a lease lives without a heartbeat, and how often its holder renews it. */
export interface LeaseTiming {
  ttlMs: number;
  heartbeatMs: number;
}

/**
 * Ten heartbeats fit in one lease: a holder whose event loop is busy for a while (a long SQLite
 * statement) keeps its lease, and a run that crashed on another host is taken over within minutes.
 */
export const DEFAULT_LEASE_TIMING: LeaseTiming = { ttlMs: 5 * 60_000, heartbeatMs: 30_000 };

export interface LeaseHeartbeat {
  /** Stops renewing; waits for a renewal under way. */
  stop(): Promise<void>;
}

/**
 * Renews `lease` every `heartbeatMs` while the run lives. `onLost` is called once when the lease
 * turns out to be someone else's (it expired and was taken over); a failed renewal is reported to
 * `onError` and tried again at the next beat.
 */
export function keepLeaseAlive(
  leases: SyncLeaseRepository,
  lease: SyncLease,
  timing: LeaseTiming,
  events: { onLost(): void; onError(err: unknown): void },
): LeaseHeartbeat {
  let inFlight: Promise<void> | undefined;
  let stopped = false;
  const beat = () => {
    if (inFlight || stopped) return;
    inFlight = leases
      .renew(lease, timing.ttlMs)
      .then((held) => {
        if (!held && !stopped) {
          stopped = true;
          clearInterval(timer);
          events.onLost();
        }
      }, events.onError)
      .finally(() => {
        inFlight = undefined;
      });
  };
  const timer = setInterval(beat, timing.heartbeatMs);
  // The heartbeat alone never keeps the process alive.
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight;
    },
  };
}
