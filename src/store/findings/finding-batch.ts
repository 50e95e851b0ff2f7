/** Where a batch of findings belongs and how to find each machine's host. */
export interface FindingBatchContext {
  connectorId: number;
  /** Marks findings seen by this pass of a full snapshot; the sweep closes the ones it did not mark. */
  seenToken: number;
  /** ISO time of this write. */
  at: string;
  hostIdOf(machineId: string): number | null;
  /**
   * The connector held no findings when this pass began (and the pass was not resumed): every row
   * is new unless it repeats a key of this very pass. The SQLite writer then inserts without looking
   * each key up first; other writers ignore it.
   */
  firstLoad?: boolean;
}

/** What writing one batch of a snapshot did: rows inserted, updated, left unchanged, reopened. */
export interface SnapshotBatchResult {
  inserted: number;
  updated: number;
  unchanged: number;
  reopened: number;
}
