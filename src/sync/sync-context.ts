import type { MdeClient } from '../mde/mde-client.js';
import type { CustomFieldExtractor } from '../normalize/custom-fields.js';
import type { KeyedRecord, NormalizedFinding } from '../normalize/model.js';
import type { KeyedTable, KeyedWriter } from '../store/catalog/keyed-writer.js';
import type { Connector } from '../store/connectors/connector-repository.js';
import type { Store } from '../store/db/store.js';
import type { Checkpoint, FindingWriter } from '../store/findings/finding-writer.js';
import type { HostWriter } from '../store/hosts/host-writer.js';
import type { CheckpointRepository } from '../store/runs/checkpoint-repository.js';
import type { StreamCounters } from '../store/runs/run-repository.js';
import type { ProgressReporter } from './progress.js';

/**
 * Everything one stream of one run needs (docs/architecture.md#conventions: dependencies passed in, no
 * singletons).
 */
export interface SyncContext {
  store: Store;
  connector: Connector;
  runId: number;
  /** The run's kind (choose-mode.ts): streams without a change feed of their own read less in a delta. */
  mode: 'full' | 'delta';
  client: MdeClient;
  hosts: HostWriter;
  findings: FindingWriter;
  keyed: KeyedWriter;
  checkpoints: CheckpointRepository;
  progress: ProgressReporter;
  now: () => Date;
  signal?: AbortSignal;
  /** machine id → host id, filled by the machines stream and read by the others. */
  hostIndex: Map<string, number>;
  /**
   * Whether a device filter (tags, OData, stale threshold) limits which machines this connector keeps;
   * the machines stream also sets it on a first run bounded by `initialLookbackDays`.
   */
  deviceFilterActive: boolean;
  /** The connector's custom field mappings compiled for this run; absent per entity when it has none. */
  customFields?: { host?: CustomFieldExtractor; finding?: CustomFieldExtractor };
  counters(stream: string): StreamCounters;
  /** Sets severity and score of findings about to be written with the connector's scorer (sync-scoring.ts). */
  scoreFindings?: (findings: readonly NormalizedFinding[]) => void;
  /** The same for one finding, on the full sync's per-row path. */
  scoreFinding?: (finding: NormalizedFinding) => void;
}

/** Counts records a connector option leaves out, by the reason a user reads in the run's summary. */
export function leaveOut(counters: StreamCounters, reason: string, n = 1): void {
  if (n <= 0) return;
  counters.leftOut ??= {};
  counters.leftOut[reason] = (counters.leftOut[reason] ?? 0) + n;
}

/** Counts a rejected record and remembers why, a few reasons per kind. */
export function reject(counters: StreamCounters, reason: string): void {
  counters.rejected++;
  const key = reason.length > 120 ? `${reason.slice(0, 117)}...` : reason;
  if (counters.rejectReasons[key] !== undefined || Object.keys(counters.rejectReasons).length < 20) {
    counters.rejectReasons[key] = (counters.rejectReasons[key] ?? 0) + 1;
  }
}

/**
 * Stores one batch of keyed rows of a stream (with its checkpoint, in one transaction) and adds the
 * outcome to the stream's counters and progress.
 */
export async function storeKeyedBatch(
  ctx: SyncContext,
  stream: string,
  table: KeyedTable,
  rows: KeyedRecord[],
  checkpoint?: Checkpoint,
): Promise<void> {
  const counters = ctx.counters(stream);
  const result = await ctx.keyed.writeBatch(
    table,
    { connectorId: ctx.connector.id, seenToken: ctx.runId, at: ctx.now().toISOString() },
    rows,
    checkpoint,
  );
  counters.inserted += result.inserted;
  counters.updated += result.updated;
  counters.unchanged += result.unchanged;
  ctx.progress.update(stream, counters.fetched);
}
