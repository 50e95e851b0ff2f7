/**
 * Reads every file of one via-files export snapshot (docs/export-files.md): the export request, each
 * file streamed through {@link readExportFileBatches}, a broken file (0 bytes, truncated or corrupt
 * gzip, a status that does not go away) downloaded again a few times, expired links answered by
 * requesting the export again (a bounded number of times), and a result that says whether the
 * snapshot was read in full. What the rows mean and where they go is the caller's, through
 * {@link ExportSnapshotHandlers}. Every export stream reads its files through this one reader.
 */
import type { MdeClient } from '../mde-client.js';
import { ExportFileError, type ExportFileFailure } from '../mde-errors.js';
import { readExportFileBatches } from './export-file-reader.js';
import { type ExportEndpoint, type ExportFiles, requestExport } from './export-request.js';

/** A broken file is downloaded this many times in all before the pass gives up on it. */
export const EXPORT_FILE_ATTEMPTS = 3;
/**
 * Export requests per snapshot reader, the first one included: expired links are renewed at most
 * three times (the export endpoints allow 5 calls a minute and 20 an hour).
 */
export const EXPORT_REQUESTS = 4;

/** The snapshot being read: the endpoint, its files and its version key. */
export interface ExportSnapshot extends ExportFiles {
  endpoint: ExportEndpoint;
}

/**
 * Where a read stands: `line` counts the lines of file `fileIndex` already handled (records and
 * rejected lines, blank lines left out), so a resumed read starts right after them.
 */
export interface ExportPosition {
  fileIndex: number;
  line: number;
}

/** A file the pass gave up on. */
export interface FailedExportFile {
  fileIndex: number;
  reason: ExportFileFailure;
  message: string;
}

/** What the caller does with the snapshot's contents. */
export interface ExportSnapshotHandlers {
  /**
   * Records of file `fileIndex` in file order; `line` is the position after them. Lines already
   * handled (before a resume position or an aborted attempt) are never handed out again.
   */
  records(batch: Record<string, unknown>[], fileIndex: number, line: number): void | Promise<void>;
  /** A line that is not a JSON object, in file order with the records; `line` is its position. */
  badLine(reason: string, fileIndex: number, line: number): void;
  /** Every line of the file was handed out (after its last records). */
  fileDone?(fileIndex: number, lines: number): void | Promise<void>;
  /**
   * An attempt at the file failed: answer how many of its lines the caller keeps, so the next
   * attempt starts after them. Without it, everything handed out is kept.
   */
  fileAborted?(fileIndex: number): number | Promise<number>;
  /** The pass gave up on a file; the read goes on with the next one. */
  fileFailed?(failure: FailedExportFile): void | Promise<void>;
  /**
   * The export, requested again after expired links, is a newer snapshot: what was read of the old
   * one does not belong to it, and the read starts over at the first file of the new one.
   */
  snapshotChanged?(snapshot: ExportSnapshot): void | Promise<void>;
}

/** Options of {@link ExportSnapshotReader}. */
export interface ExportSnapshotReaderOptions {
  /** How long the links stay valid, 1 to 6 hours. */
  sasValidHours?: number;
  /** Records per {@link ExportSnapshotHandlers.records} call; default 1000. */
  batchSize?: number;
  /** Retries, notices of expired links and given-up files, for the terminal and the run log. */
  note?: (message: string) => void;
  signal?: AbortSignal;
}

/** What a read found. */
export interface ExportSnapshotResult {
  /** The snapshot that was read (after a re-request, the newest). */
  snapshot: ExportSnapshot;
  /** Files given up on, in order. */
  failedFiles: FailedExportFile[];
  /** Lines that were not JSON objects. */
  badLines: number;
  /** Every file was read to its end and every line was a JSON object. */
  complete: boolean;
  /** Downloads of a file started again after a broken one. */
  fileRetries: number;
}

/**
 * One reader per export endpoint per pass: {@link request} asks for the snapshot, {@link read} reads
 * it. The export-request budget is the reader's, shared by both.
 */
export class ExportSnapshotReader {
  private requests = 0;

  constructor(
    private readonly client: MdeClient,
    readonly endpoint: ExportEndpoint,
    private readonly options: ExportSnapshotReaderOptions = {},
  ) {}

  /** Requests the export: the links of every file of the current snapshot and its generated time. */
  async request(): Promise<ExportSnapshot> {
    this.requests++;
    const exported = await requestExport(this.client, this.endpoint, {
      ...(this.options.sasValidHours !== undefined ? { sasValidHours: this.options.sasValidHours } : {}),
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    });
    return { endpoint: this.endpoint, ...exported };
  }

  /**
   * Reads `snapshot` from `from` (a resume position within it) to the last file.
   *
   * @throws RangeError when `from` lies outside the snapshot: a resume position that does not fit the
   *   snapshot must not be taken for a finished read.
   */
  async read(
    snapshot: ExportSnapshot,
    handlers: ExportSnapshotHandlers,
    from: ExportPosition = { fileIndex: 0, line: 0 },
  ): Promise<ExportSnapshotResult> {
    if (
      !Number.isInteger(from.fileIndex) ||
      !Number.isInteger(from.line) ||
      from.fileIndex < 0 ||
      from.line < 0 ||
      (from.fileIndex >= snapshot.files.length && !(from.fileIndex === 0 && from.line === 0))
    ) {
      throw new RangeError(
        `resume position file ${from.fileIndex + 1}, line ${from.line} is outside the snapshot of ${snapshot.files.length} files`,
      );
    }
    const note = this.options.note ?? (() => {});
    const result: ExportSnapshotResult = {
      snapshot,
      failedFiles: [],
      badLines: 0,
      complete: false,
      fileRetries: 0,
    };
    let fileIndex = from.fileIndex;
    let keep = from.line;
    let attempts = 0;
    while (fileIndex < result.snapshot.files.length) {
      let handled = 0;
      try {
        handled = await this.readFile(result, fileIndex, keep, handlers, (n) => {
          handled = n;
        });
        await handlers.fileDone?.(fileIndex, handled);
        fileIndex++;
        keep = 0;
        attempts = 0;
      } catch (err) {
        if (!(err instanceof ExportFileError)) throw err;
        keep = handlers.fileAborted ? await handlers.fileAborted(fileIndex) : Math.max(keep, handled);
        if (err.reason === 'expired' && this.requests < EXPORT_REQUESTS) {
          const fresh = await this.request();
          if (Date.parse(fresh.generatedTime) !== Date.parse(result.snapshot.generatedTime)) {
            note(`${this.endpoint}: a new snapshot appeared while reading the old one; starting it over`);
            result.snapshot = fresh;
            result.failedFiles = [];
            await handlers.snapshotChanged?.(fresh);
            fileIndex = 0;
            keep = 0;
            attempts = 0;
          } else {
            note(`${this.endpoint}: the export links expired; requested fresh ones`);
            result.snapshot = fresh;
          }
          continue;
        }
        attempts++;
        if (err.reason !== 'expired' && attempts < EXPORT_FILE_ATTEMPTS) {
          result.fileRetries++;
          note(`${this.endpoint} file ${fileIndex + 1} failed (${err.reason}); downloading it again`);
          continue;
        }
        const failure: FailedExportFile = {
          fileIndex,
          reason: err.reason,
          message:
            err.reason === 'expired'
              ? `${err.message} (the export was requested ${this.requests} times, the most one pass does)`
              : attempts > 1
                ? `${err.message} (${attempts} attempts)`
                : err.message,
        };
        result.failedFiles.push(failure);
        note(`${this.endpoint} file ${fileIndex + 1} could not be read: ${failure.message}`);
        await handlers.fileFailed?.(failure);
        fileIndex++;
        keep = 0;
        attempts = 0;
      }
    }
    result.complete = result.failedFiles.length === 0 && result.badLines === 0;
    return result;
  }

  /** One attempt at one file; returns its line count. `progress` follows the lines handed out. */
  private async readFile(
    result: ExportSnapshotResult,
    fileIndex: number,
    skip: number,
    handlers: ExportSnapshotHandlers,
    progress: (line: number) => void,
  ): Promise<number> {
    let line = 0;
    const batches = readExportFileBatches(this.client.transport, result.snapshot.files[fileIndex]!, {
      batchSize: this.options.batchSize ?? 1000,
      sleep: this.client.time.sleep,
      onRetry: this.client.onRetry,
      onRejected: (reason) => {
        line++;
        if (line <= skip) return;
        result.badLines++;
        handlers.badLine(reason, fileIndex, line);
        progress(line);
      },
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    });
    for await (const batch of batches) {
      const end = line + batch.length;
      if (end > skip) {
        line = end;
        const out = end - batch.length < skip ? batch.slice(skip - (end - batch.length)) : batch;
        const pending = handlers.records(out, fileIndex, line);
        if (pending) await pending;
        progress(line);
      } else {
        line = end;
      }
    }
    return line;
  }
}
