import { changedDevicesOf, changeRowsOf } from './change-feed.js';
import type { TenantContext } from './tenant-context.js';
import type { VulnerabilityChangeRow } from './types.js';

/** About a month of six-hour epochs; each holds the ~1% of devices that changed, a few KB. */
const EPOCHS_KEPT = 128;
/**
 * Change rows kept from {@link ChangeFeedIndex.prepare}, across epochs: about 12,000 rows an epoch at
 * 100,000 devices (docs/benchmarks.md); a larger tenant's rows are worked out again on each request.
 */
const ROWS_KEPT = 60_000;

/**
 * Which devices changed in each epoch, computed once and kept. MDE answers the change feed from
 * what it recorded as the changes happened (docs/mde-api.md#delta-feed); the simulator would otherwise
 * check every device of the estate on each request, which a benchmark of the connector's delta
 * would count as the connector's time (docs/benchmarks.md). The tenant is a pure function of its
 * seed, so a kept answer never goes stale.
 */
export class ChangeFeedIndex {
  private readonly byEpoch = new Map<number, number[]>();
  /** The rows of prepared epochs, within {@link ROWS_KEPT}; the newest prepared replace the oldest. */
  private readonly rowsByEpoch = new Map<number, VulnerabilityChangeRow[]>();
  private rowsKept = 0;

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

  /** The change rows of an epoch, kept when they were prepared, else worked out now. */
  rows(epoch: number): Iterable<VulnerabilityChangeRow> {
    return this.rowsByEpoch.get(epoch) ?? changeRowsOf(this.ctx, epoch, this.devices(epoch));
  }

  /**
   * Works an epoch's change rows out ahead and keeps them, as a benchmark asks before its timed
   * delta (the admin API's `changes/prepare`): the rows of about a thousand devices' two snapshots
   * are the simulator's work, which MDE has stored.
   */
  prepare(epoch: number): void {
    if (this.rowsByEpoch.has(epoch)) return;
    const rows = [...changeRowsOf(this.ctx, epoch, this.devices(epoch))];
    if (rows.length > ROWS_KEPT) return;
    this.rowsByEpoch.set(epoch, rows);
    this.rowsKept += rows.length;
    for (const [kept, list] of this.rowsByEpoch) {
      if (this.rowsKept <= ROWS_KEPT) break;
      this.rowsByEpoch.delete(kept);
      this.rowsKept -= list.length;
    }
  }
}
