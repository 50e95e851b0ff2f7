import { readExportFileBatches } from '../../mde/export/export-file-reader.js';
import { requestExport } from '../../mde/export/export-request.js';
import { ExportFileError, PagingError } from '../../mde/mde-errors.js';
import { assessmentPages } from '../../mde/paging/assessment-pages.js';
import { parseRecord } from '../../mde/parse/parse-record.js';
import { VulnerabilityRowSchema } from '../../mde/schemas/vulnerability-row.js';
import type { NormalizedFinding } from '../../normalize/model.js';
import { normalizeFinding } from '../../normalize/normalize-finding.js';
import type { FindingBatchContext, SnapshotBatchResult } from '../../store/finding-writer.js';
import { deferFindingIndexesForFirstLoad, ensureFindingIndexes } from '../../store/first-load-indexes.js';
import type { StreamCounters } from '../../store/run-repository.js';
import { openSnapshotSession, type SnapshotSession } from '../../store/snapshot-session.js';
import { reject, type SyncContext } from '../sync-context.js';
import { findingFilter } from './finding-filters.js';
import {
  findingOptionsKey,
  getVulnerabilityWatermark,
  setVulnerabilityWatermark,
} from './vulnerability-watermark.js';

export const VULNERABILITIES_STREAM = 'vulnerabilities';
const BATCH = 10_000;
/**
 * Records per batch from the export reader. Small, so the parsed records of a batch die young: with
 * 1000, each batch's objects outlived a scavenge or two and were promoted, and garbage collection cost
 * the main thread ~1.5 us a row more (bench/row-pipeline.ts; design.md 7).
 */
const READ_BATCH = 100;
/** A truncated or broken file is downloaded again this many times before the run gives up on it. */
const FILE_ATTEMPTS = 3;
/** An expired link re-requests the export at most this often per run (5 calls/min, 20/h budget). */
const EXPORT_REQUESTS = 4;

/** Where a full pass over one snapshot got to; saved with every batch (design.md 2). */
export interface FullPassCheckpoint {
  /** Marks findings seen by this pass; kept across a resume so the sweep stays right. */
  seenToken: number;
  generatedTime: string;
  fileIndex: number;
  /** Lines of the file already handled (stored or rejected). */
  line: number;
  /** Devices with a rejected row: their findings are not closed by this pass (nothing closed by mistake). */
  rejectedDevices?: string[];
  /** Rejected rows that name no device: then this pass closes nothing at all. */
  unattributable?: number;
}

/** Beyond this many devices with rejected rows, the pass closes nothing rather than list them all. */
const MAX_REJECTED_DEVICES = 10_000;

/** The device a rejected row belongs to, if it can still be read (keys in any case, mde-api.md 4.1). */
function deviceOf(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  for (const [k, v] of Object.entries(raw)) {
    if (k.toLowerCase() === 'deviceid' && typeof v === 'string' && v.trim()) return v.trim().toLowerCase();
  }
  return undefined;
}

function noteRejectedRow(pass: FullPassCheckpoint, raw: unknown): void {
  const device = deviceOf(raw);
  pass.rejectedDevices ??= [];
  const devices = pass.rejectedDevices;
  if (device && devices.length < MAX_REJECTED_DEVICES) {
    if (!devices.includes(device)) devices.push(device);
  } else {
    pass.unattributable = (pass.unattributable ?? 0) + 1;
  }
}

/**
 * Full vulnerability sync (design.md 5): the export files of the latest snapshot, streamed line by
 * line, or the paged JSON export for small tenants. Only a pass that read every file closes
 * the findings the snapshot no longer holds.
 */
export async function syncVulnerabilitiesFull(ctx: SyncContext): Promise<{ snapshotTime: string }> {
  if (ctx.connector.options.vulnerabilitySource === 'json') return syncFromJson(ctx);
  const counters = ctx.counters(VULNERABILITIES_STREAM);
  const { client, connector } = ctx;
  const keep = findingFilter(ctx);
  let requests = 1;
  let exported = await requestExport(client, 'SoftwareVulnerabilitiesExport', {
    sasValidHours: connector.options.sasValidHours,
  });
  const saved = await ctx.checkpoints.get<FullPassCheckpoint>(connector.id, VULNERABILITIES_STREAM);
  const watermark = await getVulnerabilityWatermark(ctx);
  if (
    !saved &&
    watermark?.lastFullSnapshot !== undefined &&
    Date.parse(watermark.lastFullSnapshot) === Date.parse(exported.generatedTime) &&
    watermark.lastFullOptions === findingOptionsKey(ctx)
  ) {
    // mde-api.md 4.2: the same generatedTime is the same snapshot, and the store already holds it.
    counters.outcome = 'complete';
    counters.note = `snapshot ${exported.generatedTime} is unchanged since the last full sync; nothing to read`;
    ctx.progress.note(counters.note);
    return { snapshotTime: exported.generatedTime };
  }
  let pass: FullPassCheckpoint =
    saved && saved.generatedTime === exported.generatedTime
      ? saved
      : { seenToken: ctx.runId, generatedTime: exported.generatedTime, fileIndex: 0, line: 0 };
  if (pass !== saved && saved)
    ctx.progress.note('the snapshot changed since the interrupted run; starting it over');
  else if (saved)
    ctx.progress.note(`resuming the snapshot at file ${saved.fileIndex + 1}, line ${saved.line}`);
  ctx.progress.start(VULNERABILITIES_STREAM);
  const failedFiles: string[] = [];

  // A first load into an empty table builds its CVE index afterwards (design.md 7, bulk loads).
  const deferred = saved ? [] : await deferFindingIndexesForFirstLoad(ctx.store);
  // Nothing of this connector stored yet: rows are inserted without a lookup, and nothing can vanish.
  let firstLoad = !saved && !(await connectorHasFindings(ctx));
  let session = openSession(ctx, pass, firstLoad);
  try {
    let fileIndex = pass.fileIndex;
    while (fileIndex < exported.files.length) {
      let attempts = 0;
      for (;;) {
        try {
          await readOneFile(ctx, counters, session, exported.files[fileIndex]!, pass, fileIndex, keep);
          pass = { ...pass, fileIndex: fileIndex + 1, line: 0 };
          break;
        } catch (err) {
          if (!(err instanceof ExportFileError)) throw err;
          if (err.reason === 'expired' && requests < EXPORT_REQUESTS) {
            // mde-api.md 4.2: links expire; ask again. A new snapshot means starting the pass over.
            requests++;
            exported = await requestExport(client, 'SoftwareVulnerabilitiesExport', {
              sasValidHours: connector.options.sasValidHours,
            });
            if (exported.generatedTime !== pass.generatedTime) {
              ctx.progress.note('a new snapshot appeared while reading the old one; starting it over');
              pass = { seenToken: ctx.runId, generatedTime: exported.generatedTime, fileIndex: 0, line: 0 };
              await session.close();
              // The old snapshot's rows are stored now: the new pass must look its keys up.
              firstLoad = false;
              session = openSession(ctx, pass, false);
              fileIndex = -1;
              break;
            }
            ctx.progress.note('export links expired; requested fresh ones');
            continue;
          }
          attempts++;
          if (attempts < FILE_ATTEMPTS && err.reason !== 'expired') {
            ctx.progress.note(`export file ${fileIndex + 1} failed (${err.reason}); downloading it again`);
            continue;
          }
          failedFiles.push(`file ${fileIndex + 1}: ${err.message}`);
          pass = { ...pass, fileIndex: fileIndex + 1, line: 0 };
          break;
        }
      }
      fileIndex++;
    }
  } finally {
    await session.close();
    // Whatever a first load deferred, this pass's or a killed earlier one's (which this one resumed).
    if (deferred.length > 0) ctx.progress.note('indexing the findings (left until the first load was in)');
    await ensureFindingIndexes(ctx.store);
  }

  if (failedFiles.length > 0) {
    // A pass that missed a file must not close anything (design.md 5); the next full run redoes it.
    counters.outcome = 'partial';
    counters.problem = `not every export file could be read: ${failedFiles.join('; ')}`;
    await ctx.checkpoints.clear(connector.id, VULNERABILITIES_STREAM);
    return { snapshotTime: pass.generatedTime };
  }
  // A first load wrote every finding the connector holds: none to close.
  await finishPass(ctx, counters, pass, firstLoad);
  return { snapshotTime: pass.generatedTime };
}

async function readOneFile(
  ctx: SyncContext,
  counters: StreamCounters,
  session: SnapshotSession,
  url: string,
  pass: FullPassCheckpoint,
  fileIndex: number,
  keep: (f: NormalizedFinding) => boolean,
): Promise<void> {
  // Lines before this were stored by an earlier attempt or an interrupted run.
  const skipLines = pass.fileIndex === fileIndex ? pass.line : 0;
  let line = 0;
  /** Devices with any row (with or without a CVE) since the last flush. */
  let scanned = new Set<string>();
  const flush = async () => {
    const checkpoint = { ...pass, fileIndex, line };
    const written = line;
    // The batch is stored while the next one is parsed; the pass moves on when it is stored.
    await session.flush(
      {
        scanned,
        checkpoint: { stream: VULNERABILITIES_STREAM, value: checkpoint },
        at: ctx.now().toISOString(),
      },
      (result) => {
        count(counters, result);
        pass.fileIndex = fileIndex;
        pass.line = written;
      },
    );
    scanned = new Set();
  };
  let emptyBody = false;
  const batches = readExportFileBatches(ctx.client.transport, url, {
    batchSize: READ_BATCH,
    onDone: (summary) => {
      emptyBody = summary.empty;
    },
    onRejected: (reason) => {
      line++;
      if (line > skipLines) {
        counters.fetched++;
        reject(counters, reason);
        noteRejectedRow(pass, undefined);
      }
    },
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  try {
    for await (const records of batches) {
      for (const raw of records) {
        line++;
        if (line <= skipLines) continue;
        takeRow(ctx, counters, pass, session, scanned, keep, raw);
      }
      if (session.size >= BATCH) {
        await flush();
        ctx.progress.update(VULNERABILITIES_STREAM, counters.fetched);
      }
    }
    if (emptyBody) {
      // A 0-byte body is not even an empty gzip stream: a broken download, not an empty partition.
      // Trusting it would close every finding of the file's devices.
      throw new ExportFileError('truncated', 'the export file arrived empty (0 bytes, not a gzip stream)');
    }
    await flush();
  } catch (err) {
    // A retry of this file starts after the last line stored, so every batch sent must land first,
    // and what was read after it is read again.
    session.discard();
    await session.drain();
    throw err;
  }
  // The file's last batch may still be in flight: the next file's first overlaps it, and the pass
  // closes nothing before the session is closed (drained).
  ctx.progress.update(VULNERABILITIES_STREAM, counters.fetched);
}

/**
 * One row of a full snapshot, from either source: parsed (a bad row is counted and its device kept
 * from the sweep), its device marked scanned, and, when it is a finding the connector keeps, scored
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
    noteRejectedRow(pass, raw);
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

/** Whether the store holds any finding of the connector (served by the findings_status index). */
async function connectorHasFindings(ctx: SyncContext): Promise<boolean> {
  const row = await ctx.store.db
    .selectFrom('findings')
    .select('id')
    .where('connectorId', '=', ctx.connector.id)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
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
 * A complete pass: close what vanished (except on devices with rejected rows, whose findings we could
 * not read), remember the snapshot for the next delta, drop the checkpoint.
 */
async function finishPass(
  ctx: SyncContext,
  counters: StreamCounters,
  pass: Pick<FullPassCheckpoint, 'seenToken' | 'generatedTime' | 'rejectedDevices' | 'unattributable'>,
  /** Nothing can have vanished: the sweep (a scan of every open finding) is skipped. */
  firstLoad = false,
) {
  if (pass.unattributable) {
    counters.problem = `${pass.unattributable} rejected rows name no device, so this pass closed no findings`;
  } else if (!firstLoad) {
    counters.closed += await ctx.findings.sweep(
      batchContext(ctx, pass.seenToken),
      pass.generatedTime,
      ctx.runId,
      pass.rejectedDevices ?? [],
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

/** The paged JSON export (mde-api.md 4.1), for tenants small enough to page. */
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
  await finishPass(ctx, counters, pass);
  return { snapshotTime };
}
