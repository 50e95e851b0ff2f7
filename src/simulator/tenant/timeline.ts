import { hash4 } from './random.js';
import { SNAPSHOT_MS } from './simulated-tenant.js';

/**
 * Simulated time. MDE regenerates the vulnerability snapshot every six hours (docs/mde-api.md#export-files),
 * so the estate changes in steps: epoch e is the window [origin + e*6h, origin + (e+1)*6h).
 */

export function snapshotEpochAt(originMs: number, atMs: number): number {
  if (atMs <= originMs) return 0;
  return Math.floor((atMs - originMs) / SNAPSHOT_MS);
}

export function snapshotTimeMs(originMs: number, epoch: number): number {
  return originMs + Math.max(0, Math.floor(epoch)) * SNAPSHOT_MS;
}

/**
 * Items that appear at an even rate: item k (k >= 0) appears at start + floor((2k+1)*period/(2*perPeriod)),
 * i.e. `perPeriod` items per `period`, each in the middle of its slice. Both directions are O(1) and
 * exact in integers, so "how many exist at t" never disagrees with "when does item k appear".
 */
export class EvenSchedule {
  constructor(
    readonly startMs: number,
    readonly periodMs: number,
    readonly perPeriod: number,
  ) {}

  timeOf(k: number): number {
    return this.startMs + Math.floor(((2 * k + 1) * this.periodMs) / (2 * this.perPeriod));
  }

  /** Number of items with timeOf(k) <= atMs. */
  countAt(atMs: number): number {
    const d = Math.floor(atMs) - this.startMs;
    // timeOf(k) <= start + d  <=>  (2k+1)*P < 2n(d+1)  <=>  2kP < 2n(d+1) - P
    const x = 2 * this.perPeriod * (d + 1) - this.periodMs;
    if (x <= 0) return 0;
    return Math.floor((x - 1) / (2 * this.periodMs)) + 1;
  }
}

/**
 * Recurring events of one subject (a device's software slot, a device's RBAC group, a CVE): one event
 * in each block of `period` epochs, at a hashed offset inside the block, from epoch 1 on. Counting the
 * events up to epoch e and asking "is there an event at e" are both O(1), which is what lets the change
 * feed skip unchanged devices cheaply (issue: "did this device change at epoch e" in O(slots)).
 */
export function eventsUpTo(epoch: number, period: number, seed: number, a: number, b: number): number {
  if (epoch < 1) return 0;
  const block = Math.floor((epoch - 1) / period);
  const at = 1 + block * period + (hash4(seed, a, b, block) % period);
  return block + (at <= epoch ? 1 : 0);
}

export function eventAt(epoch: number, period: number, seed: number, a: number, b: number): boolean {
  if (epoch < 1) return false;
  const block = Math.floor((epoch - 1) / period);
  return 1 + block * period + (hash4(seed, a, b, block) % period) === epoch;
}

/** The epoch of the latest event at or before `epoch`, or 0 when there was none. */
export function lastEventAt(epoch: number, period: number, seed: number, a: number, b: number): number {
  if (epoch < 1) return 0;
  let block = Math.floor((epoch - 1) / period);
  while (block >= 0) {
    const at = 1 + block * period + (hash4(seed, a, b, block) % period);
    if (at <= epoch) return at;
    block--;
  }
  return 0;
}
