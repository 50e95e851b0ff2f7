import type { SnapshotBatchResult } from './finding-batch.js';
import type { Checkpoint } from './finding-writer.js';
import type { SnapshotWriteContext } from './sqlite-snapshot-writer.js';

/** One batch for the snapshot writer thread. */
export interface SnapshotWorkerRequest {
  id: number;
  ctx: SnapshotWriteContext;
  /** `encodeRows` of the batch's rows. */
  rows: string;
  scanned: string[];
  snapshotTime: string;
  checkpoint: Checkpoint;
}

/** The writer thread's answer to one batch. */
export type SnapshotWorkerReply =
  | { id: number; ok: true; result: SnapshotBatchResult }
  | {
      id: number;
      ok: false;
      message: string /** The SQLite error code, when the database raised it. */;
      sqliteCode?: string;
    };
