import { changedDevicesOf } from './change-feed.js';
import type { TenantContext } from './tenant-context.js';

/** About a month of six-hour epochs; each holds the ~1% of devices that changed, a few KB. */
const EPOCHS_KEPT = 128;

/**
 * Which devices changed in each epoch, computed once and kept. MDE answers the change feed from
 * what it recorded as the changes happened (mde-api.md 4.3); the simulator otherwise checks every
 * device of the estate on each request, about a second at 100,000 devices, which a benchmark of the
 * connector's delta would count as the connector's time. The tenant is a pure function of its
 * seed, so a kept answer never goes stale.
 */
export class ChangeFeedIndex {
  private readonly byEpoch = new Map<number, number[]>();

  constructor(private readonly ctx: TenantContext) {}

  devices(epoch: number): number[] {
    let changed = this.byEpoch.get(epoch);
    if (changed === undefined) {
      changed = changedDevicesOf(this.ctx, epoch);
      this.byEpoch.set(epoch, changed);
      // Map keeps insertion order: the first key is the epoch computed longest ago.
      if (this.byEpoch.size > EPOCHS_KEPT) this.byEpoch.delete(this.byEpoch.keys().next().value!);
    }
    return changed;
  }
}
