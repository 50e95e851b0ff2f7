import * as z from 'zod';
import type { ExportSnapshot, ExportSnapshotReader } from '../../mde/export/export-snapshot-reader.js';
import { PagingError } from '../../mde/mde-errors.js';
import { assessmentPages } from '../../mde/paging/assessment-pages.js';
import { parseRecord } from '../../mde/parse/parse-record.js';
import { VulnerabilityRowSchema } from '../../mde/schemas/vulnerability-row.js';
import type { NormalizedFinding } from '../../normalize/model.js';
import { normalizeFinding } from '../../normalize/normalize-finding.js';
import type { FindingBatchContext, SnapshotBatchResult } from '../../store/findings/finding-batch.js';
import { connectorHasFindings as hasFindings } from '../../store/findings/finding-repository.js';
import {
  deferFindingIndexesForFirstLoad,
  ensureFindingIndexes,
} from '../../store/findings/first-load-indexes.js';
import { openSnapshotSession, type SnapshotSession } from '../../store/findings/snapshot-session.js';
import type { StreamCounters } from '../../store/runs/run-repository.js';
import { describeFailedFile, exportPassProblem } from '../export-pass-outcome.js';
import { reject, type SyncContext } from '../sync-context.js';
import { findingFilter } from './finding-filters.js';
import {
  requestVulnerabilityExport,
  type VulnerabilityExportRequest,
} from './vulnerability-export-request.js';
import {
  findingOptionsKey,
  getVulnerabilityWatermark,
  setVulnerabilityWatermark,
} from './vulnerability-watermark.js';

export const VULNERABILITIES_STREAM = 'vulnerabilities';
const BATCH = 10_000;

/**
 * Where a full pass over one snapshot got to; saved with every batch, and validated when read back:
 * a checkpoint that does not validate is dropped and the pass starts over.
 */
const FullPassCheckpointSchema = z
  .object({
    /** Marks findings seen by this pass; kept across a resume so the sweep stays right. */
    seenToken: z.number().int(),
    generatedTime: z.string().refine((t) => !Number.isNaN(Date.parse(t)), 'not a timestamp'),
    fileIndex: z.number().int().min(0),
    /** Lines of the file already handled (stored or rejected). */
    line: z.number().int().min(0),
    /** Rows rejected so far by this pass: then it closes nothing. */
    rejected: z.number().int().min(0).optional(),
    /** Files given up on so far by this pass: then it closes nothing. */
    failedFiles: z.number().int().min(0).optional(),
    /** Older versions kept the devices of rejected rows apart; any of them counts as a rejection. */
    rejectedDevices: z.array(z.string()).optional(),
    unattributable: z.number().int().min(0).optional(),
  })
  .transform(({ rejectedDevices, unattributable, ...pass }) => ({
    ...pass,
    rejected: (pass.rejected ?? 0) + (rejectedDevices?.length ?? 0) + (unattributable ?? 0),
    failedFiles: pass.failedFiles ?? 0,
  }));

/** Where a full pass over one snapshot got to. */
export type FullPassCheckpoint = z.output<typeof FullPassCheckpointSchema>;

/**
 * Full vulnerability sync: the export files of the latest snapshot, streamed line by line through the
 * export-snapshot reader, or the paged JSON export for small tenants. Only a pass that read every file
 * and every row closes the findings the snapshot no longer holds. `requested`: the export request the
 * run sent at its start (vulnerability-export-request.ts); without it the pass sends it now.
 */
export async function syncVulnerabilitiesFull(
  ctx: SyncContext,
  requested?: VulnerabilityExportRequest,
): Promise<{ snapshotTime: string }> {
  if (ctx.connector.options.vulnerabilitySource === 'json') return syncFromJson(ctx);
  const counters = ctx.counters(VULNERABILITIES_STREAM);
  const { connector } = ctx;
  const keep = findingFilter(ctx);
  const { reader, snapshot: requestedSnapshot } = requested ?? requestVulnerabilityExport(ctx);
  const snapshot = await requestedSnapshot;
  const saved = await readSavedPass(ctx, snapshot);
  const watermark = await getVulnerabilityWatermark(ctx);
  if (
    !saved &&
    watermark?.lastFullSnapshot !== undefined &&
    Date.parse(watermark.lastFullSnapshot) === Date.parse(snapshot.generatedTime) &&
    watermark.lastFullOptions === findingOptionsKey(ctx)
  ) {
    // The same generatedTime is the same snapshot (docs/export-files.md), and the store holds it.
    counters.outcome = 'complete';
    counters.note = `snapshot ${snapshot.generatedTime} is unchanged since the last full sync; nothing to read`;
    ctx.progress.note(counters.note);
    return { snapshotTime: snapshot.generatedTime };
  }
  const newPass = (generatedTime: string): FullPassCheckpoint => ({
    seenToken: ctx.runId,
    generatedTime,
    fileIndex: 0,
    line: 0,
    rejected: 0,
    failedFiles: 0,
  });
  let pass: FullPassCheckpoint = saved ?? newPass(snapshot.generatedTime);
  if (saved) ctx.progress.note(`resuming the snapshot at file ${saved.fileIndex + 1}, line ${saved.line}`);
  ctx.progress.start(VULNERABILITIES_STREAM);

  // A first load into an empty table builds its CVE index afterwards (docs/benchmarks.md).
  const deferred = saved ? [] : await deferFindingIndexesForFirstLoad(ctx.store);
  // Nothing of this connector stored yet: rows are inserted without a lookup, and nothing can vanish.
  let firstLoad = !saved && !(await connectorHasFindings(ctx));
  let session = openSession(ctx, pass, firstLoad);
  /** The last position whose batch is stored. */
  let stored = { fileIndex: pass.fileIndex, line: pass.line };
  /** Devices with any row (with or without a CVE) since the last flush. */
  let scanned = new Set<string>();
  const failedFiles: string[] = [];
  const flush = async (fileIndex: number, line: number) => {
    const checkpoint: FullPassCheckpoint = { ...pass, fileIndex, line };
    // The batch is stored while the next one is parsed; the position moves on when it is stored.
    await session.flush(
      {
        scanned,
        checkpoint: { stream: VULNERABILITIES_STREAM, value: checkpoint },
        at: ctx.now().toISOString(),
      },
      (result) => {
        count(counters, result);
        stored = { fileIndex, line };
      },
    );
    scanned = new Set();
  };
  const flushFull = async (fileIndex: number, line: number) => {
    await flush(fileIndex, line);
    ctx.progress.update(VULNERABILITIES_STREAM, counters.fetched);
  };
  let readResult: Awaited<ReturnType<ExportSnapshotReader['read']>>;
  try {
    readResult = await reader.read(
      snapshot,
      {
        // Returns a promise only when a batch is sent, so the other calls cost no await.
        records: (records, fileIndex, line) => {
          for (const raw of records) takeRow(ctx, counters, pass, session, scanned, keep, raw);
          if (session.size >= BATCH) return flushFull(fileIndex, line);
          return undefined;
        },
        badLine: (reason) => {
          counters.fetched++;
          reject(counters, reason);
          pass.rejected++;
        },
        // The file's last batch may still be in flight: the next file's first overlaps it, and the
        // pass closes nothing before the session is closed (drained).
        fileDone: flushFull,
        // Another attempt starts after the last line stored, so every batch sent must land first,
        // and what was read after it is read again.
        fileAborted: async (fileIndex) => {
          session.discard();
          scanned = new Set();
          await session.drain();
          return stored.fileIndex === fileIndex ? stored.line : 0;
        },
        fileFailed: (failure) => {
          failedFiles.push(describeFailedFile(reader.endpoint, failure));
          pass.failedFiles++;
        },
        snapshotChanged: async (fresh: ExportSnapshot) => {
          await session.close();
          pass = newPass(fresh.generatedTime);
          stored = { fileIndex: 0, line: 0 };
          scanned = new Set();
          // The old snapshot's rows are stored now: the new pass must look its keys up.
          firstLoad = false;
          session = openSession(ctx, pass, false);
        },
      },
      { fileIndex: pass.fileIndex, line: pass.line },
    );
  } finally {
    await session.close();
    // Whatever a first load deferred, this pass's or a killed earlier one's (which this one resumed).
    if (deferred.length > 0) ctx.progress.note('indexing the findings (left until the first load was in)');
    await ensureFindingIndexes(ctx.store);
  }

  const problem = exportPassProblem({
    failedFiles:
      pass.failedFiles > failedFiles.length
        ? [`${pass.failedFiles - failedFiles.length} before the interrupted run stopped`, ...failedFiles]
        : failedFiles,
    rejected: pass.rejected,
  });
  if (problem) {
    // A pass that missed a file or a row must not close anything; the next full run redoes it.
    counters.outcome = 'partial';
    counters.problem = problem;
    await ctx.checkpoints.clear(connector.id, VULNERABILITIES_STREAM);
    return { snapshotTime: readResult.snapshot.generatedTime };
  }
  // A first load wrote every finding the connector holds: none to close.
  await finishPass(ctx, counters, pass, firstLoad);
  return { snapshotTime: pass.generatedTime };
}

/**
 * The saved pass over `snapshot`, if one is there and can be trusted: a checkpoint that does not
 * validate, belongs to another snapshot or points outside this one is dropped with a note.
 */
async function readSavedPass(
  ctx: SyncContext,
  snapshot: ExportSnapshot,
): Promise<FullPassCheckpoint | undefined> {
  const saved = await ctx.checkpoints.read(
    ctx.connector.id,
    VULNERABILITIES_STREAM,
    FullPassCheckpointSchema,
  );
  if (!saved) return undefined;
  let why: string | undefined;
  if ('invalid' in saved) why = `the saved checkpoint is not usable (${saved.invalid})`;
  else if (Date.parse(saved.value.generatedTime) !== Date.parse(snapshot.generatedTime))
    why = 'the snapshot changed since the interrupted run';
  else if (saved.value.fileIndex >= snapshot.files.length)
    why = `the saved checkpoint points at file ${saved.value.fileIndex + 1} of a snapshot of ${snapshot.files.length}`;
  if (why === undefined && 'value' in saved) return saved.value;
  ctx.progress.note(`${why}; starting the snapshot over`);
  await ctx.checkpoints.clear(ctx.connector.id, VULNERABILITIES_STREAM);
  return undefined;
}

/**
 * One row of a full snapshot, from either source: parsed (a bad row is counted, and then the pass
 * closes nothing), its device marked scanned, and, when it is a finding the connector keeps, scored
 * and handed to the session.
 */
function takeRow(
  ctx: SyncContext,
  counters: StreamCounters,
  pass: FullPassCheckpoint,
  session: SnapshotSession,
  scanned: Set<string>,
  keep: (f: NormalizedFinding) => boolean,
  raw: unknown,
): void {
  counters.fetched++;
  const parsed = parseRecord(VulnerabilityRowSchema, raw);
  if (!parsed.ok) {
    reject(counters, parsed.reason);
    pass.rejected++;
    return;
  }
  scanned.add(parsed.value.deviceId.toLowerCase());
  const finding = normalizeFinding(parsed.value, ctx.customFields?.finding);
  if (finding && keep(finding)) {
    ctx.scoreFinding?.(finding);
    session.add(finding);
  }
}

function count(counters: StreamCounters, result: SnapshotBatchResult): void {
  counters.inserted += result.inserted;
  counters.updated += result.updated;
  counters.unchanged += result.unchanged;
}

function openSession(ctx: SyncContext, pass: FullPassCheckpoint, firstLoad = false): SnapshotSession {
  return openSnapshotSession(
    ctx.store,
    ctx.findings,
    ctx.hosts,
    { ...batchContext(ctx, pass.seenToken), firstLoad },
    pass.generatedTime,
  );
}

/** Whether the store holds any finding of the connector. */
async function connectorHasFindings(ctx: SyncContext): Promise<boolean> {
  return hasFindings(ctx.store.db, ctx.connector.id);
}

export function batchContext(ctx: SyncContext, seenToken: number): FindingBatchContext {
  return {
    connectorId: ctx.connector.id,
    seenToken,
    at: ctx.now().toISOString(),
    hostIdOf: (machineId) => ctx.hostIndex.get(machineId) ?? null,
  };
}

/**
 * A complete pass (every row read and stored): close what vanished, remember the snapshot for the
 * next delta, drop the checkpoint.
 */
async function finishPass(
  ctx: SyncContext,
  counters: StreamCounters,
  pass: Pick<FullPassCheckpoint, 'seenToken' | 'generatedTime'>,
  /** Nothing can have vanished: the sweep (a scan of every open finding) is skipped. */
  firstLoad = false,
) {
  if (!firstLoad) {
    counters.closed += await ctx.findings.sweep(
      batchContext(ctx, pass.seenToken),
      pass.generatedTime,
      ctx.runId,
      [],
    );
  }
  await setVulnerabilityWatermark(ctx, pass.generatedTime, true);
  await ctx.checkpoints.clear(ctx.connector.id, VULNERABILITIES_STREAM);
  const unscanned = await ctx.hosts.markUnscanned(
    ctx.connector.id,
    pass.seenToken,
    ctx.connector.options.includeUnscanned,
    ctx.now().toISOString(),
  );
  if (unscanned > 0) counters.note = `${unscanned} devices have no vulnerability data (never scanned)`;
  counters.outcome = 'complete';
}

/** The paged JSON export (docs/mde-api.md#vulnerability-rows), for tenants small enough to page. */
async function syncFromJson(ctx: SyncContext): Promise<{ snapshotTime: string }> {
  const counters = ctx.counters(VULNERABILITIES_STREAM);
  const keep = findingFilter(ctx);
  // The JSON export carries no generatedTime; the run's start stands for the snapshot time.
  const snapshotTime = ctx.now().toISOString();
  const pass: FullPassCheckpoint = {
    seenToken: ctx.runId,
    generatedTime: snapshotTime,
    fileIndex: 0,
    line: 0,
    rejected: 0,
    failedFiles: 0,
  };
  ctx.progress.start(VULNERABILITIES_STREAM);
  const session = openSession(ctx, pass);
  try {
    const pages = assessmentPages(ctx.client, 'SoftwareVulnerabilitiesByMachine', {
      pageSize: 50_000,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    let page = 0;
    for await (const records of pages) {
      page++;
      const scanned = new Set<string>();
      for (const raw of records) {
        takeRow(ctx, counters, pass, session, scanned, keep, raw);
      }
      await session.flush(
        {
          scanned,
          checkpoint: { stream: VULNERABILITIES_STREAM, value: { source: 'json', page } },
          at: ctx.now().toISOString(),
        },
        (result) => count(counters, result),
      );
      ctx.progress.update(VULNERABILITIES_STREAM, counters.fetched);
    }
    await session.close();
  } catch (err) {
    await session.close().catch(() => {});
    if (err instanceof PagingError) {
      counters.outcome = 'partial';
      counters.problem = err.message;
      return { snapshotTime };
    }
    throw err;
  }
  const problem = exportPassProblem({ failedFiles: [], rejected: pass.rejected });
  if (problem) {
    counters.outcome = 'partial';
    counters.problem = problem;
    await ctx.checkpoints.clear(ctx.connector.id, VULNERABILITIES_STREAM);
    return { snapshotTime };
  }
  await finishPass(ctx, counters, pass);
  return { snapshotTime };
}
