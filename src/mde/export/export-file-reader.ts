/**
 * Streams one via-files export (docs/mde-api.md#export-files): download the SAS URL without an Authorization
 * header, gunzip (node:zlib) and split lines (readline's rules, a chunk at a time: line-splitter.ts)
 * as the bytes arrive, JSON.parse each line. Memory stays flat however large the file
 * (docs/sync.md#vulnerabilities-full, docs/benchmarks.md#targets). Keys are left as they are (PascalCase in
 * files); `parseRecord` maps them case-insensitively later.
 */
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { realTime } from '../http/client-rate-limiter.js';
import { errorCodeOf, type HttpTransport, toNetworkError } from '../http/http-transport.js';
import { readBodyText } from '../http/read-body.js';
import { redactUrl } from '../http/redact.js';
import { emitRetry, type RetryListener } from '../http/retry-notice.js';
import { DEFAULT_MAX_RETRIES, decideRetry } from '../http/retry-policy.js';
import { ExportFileError, NetworkError } from '../mde-errors.js';
import type { LogSink } from '../mde-logger.js';
import { LineSplitter } from './line-splitter.js';

/** Options of {@link readExportFile} and {@link readExportFileBatches}. */
export interface ReadExportFileOptions {
  /**
   * Called for each line that is not a JSON object, in file order with the yielded records (the
   * records before it are yielded first); the file goes on.
   */
  onRejected?: (reason: string, lineNumber: number) => void;
  /** Called once the whole file was read. */
  onDone?: (summary: ExportFileSummary) => void;
  /** Records per yielded batch ({@link readExportFileBatches}); default 1000. */
  batchSize?: number;
  /** Retries of the download on 429, 5xx and dropped connections; default 10. */
  maxRetries?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  /** Idle limit within the download, passed to the transport. */
  timeoutMs?: number;
  signal?: AbortSignal;
  log?: LogSink;
  /** Told of every re-download as it is scheduled (pass the client's `onRetry`). */
  onRetry?: RetryListener | undefined;
}

/** What reading one file found. */
export interface ExportFileSummary {
  /** Lines read, blank ones included. */
  lines: number;
  records: number;
  rejected: number;
  /** Compressed bytes received on the successful download. */
  bytes: number;
  /** Downloads started again after a failure. */
  retries: number;
}

/**
 * Yields the records of one export file one by one and returns a summary.
 *
 * @throws ExportFileError `expired` (403 from the blob: request the export again), `truncated` (gzip
 *   ended early or is corrupt, or the connection kept dropping), `empty` (a 0-byte body, which is not
 *   even an empty gzip stream: a broken download, never an empty file), `http` (another status).
 */
export async function* readExportFile(
  transport: HttpTransport,
  url: string,
  options: ReadExportFileOptions = {},
): AsyncGenerator<Record<string, unknown>, ExportFileSummary> {
  const batches = readExportFileBatches(transport, url, options);
  for (;;) {
    const step = await batches.next();
    if (step.done) return step.value;
    yield* step.value;
  }
}

/**
 * Like {@link readExportFile} but yields arrays of up to `batchSize` records, which is much cheaper
 * per record at millions of rows (docs/benchmarks.md#targets).
 */
export async function* readExportFileBatches(
  transport: HttpTransport,
  url: string,
  options: ReadExportFileOptions = {},
): AsyncGenerator<Record<string, unknown>[], ExportFileSummary> {
  const batchSize = options.batchSize ?? 1000;
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  const sleep = options.sleep ?? realTime.sleep;
  const safeUrl = redactUrl(url);
  const summary: ExportFileSummary = {
    lines: 0,
    records: 0,
    rejected: 0,
    bytes: 0,
    retries: 0,
  };
  /** Lines through which every record was yielded: skipped when a download starts over. */
  let delivered = 0;
  /** Lines through which bad lines were reported, so a re-download does not report them twice. */
  let reportedThrough = 0;
  for (let attempt = 1; ; attempt++) {
    const res = await download(transport, url, options).catch((error: unknown) => {
      if (error instanceof NetworkError) return error;
      throw error;
    });
    let failure: { status?: number; errorCode?: string; retryAfter?: string; error: Error };
    if (res instanceof NetworkError) {
      failure = { errorCode: res.errorCode, error: res };
    } else if (res.status === 200) {
      const file = streamLines(res.body);
      let lineNo = 0;
      let lastRecordLine = 0;
      let batch: Record<string, unknown>[] = [];
      try {
        try {
          for await (const lines of file.lines) {
            for (const line of lines) {
              lineNo++;
              if (lineNo <= delivered || line.trim().length === 0) continue;
              const value = parseLine(line);
              if (value === undefined) {
                if (lineNo <= reportedThrough) continue;
                // Hand out the records before this line first, so the caller sees file order.
                if (batch.length > 0) {
                  const out = batch;
                  batch = [];
                  summary.records += out.length;
                  delivered = lastRecordLine;
                  yield out;
                }
                reportedThrough = lineNo;
                delivered = lineNo;
                summary.rejected++;
                options.onRejected?.(`line ${lineNo}: not a JSON object: ${preview(line)}`, lineNo);
                continue;
              }
              batch.push(value);
              lastRecordLine = lineNo;
              if (batch.length >= batchSize) {
                const out = batch;
                batch = [];
                summary.records += out.length;
                delivered = lineNo;
                yield out;
              }
            }
          }
        } catch {
          // readline rethrows what the gunzip stream emitted; file.error() has the first cause.
        }
      } finally {
        file.close();
      }
      const error = file.error();
      if (file.bytes() === 0 && (!error || isZlibError(error))) {
        // An export file with no rows is still a gzip stream (20 bytes or so); 0 bytes is a download
        // that delivered nothing, and trusting it would mark every row of the file's devices gone.
        throw new ExportFileError(
          'empty',
          `export file ${safeUrl} arrived empty (0 bytes, not a gzip stream); this file fails, download it again`,
          { status: 200, url: safeUrl },
        );
      }
      if (!error) {
        summary.records += batch.length;
        summary.lines = lineNo;
        summary.bytes = file.bytes();
        if (batch.length > 0) yield batch;
        options.onDone?.(summary);
        return summary;
      }
      if (isZlibError(error)) {
        throw new ExportFileError(
          'truncated',
          `export file ${safeUrl} is truncated or corrupt after ${lineNo} lines (${errorCodeOf(error)}); this file fails, request the export again`,
          { status: 200, url: safeUrl, cause: error },
        );
      }
      // The connection dropped mid-body: download again, skipping the lines already yielded.
      const net = toNetworkError(error, 'GET', url);
      failure = { errorCode: net.errorCode, error: net };
    } else {
      const text = await readBodyText(res.body, { method: 'GET', url }, 4096).catch(() => '');
      if (res.status === 403) {
        // Azure Blob: 403 AuthenticationFailed once the SAS `se` has passed (docs/mde-api.md#export-files).
        const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? 'Forbidden';
        throw new ExportFileError(
          'expired',
          `export file ${safeUrl} answered 403 ${code}: the link has expired; request the export again`,
          { status: 403, url: safeUrl },
        );
      }
      failure = {
        status: res.status,
        retryAfter: firstHeader(res.headers['retry-after']),
        error: new ExportFileError('http', `export file ${safeUrl} answered ${res.status}`, {
          status: res.status,
          url: safeUrl,
        }),
      };
    }
    const decision = decideRetry({
      attempt,
      maxRetries,
      status: failure.status,
      errorCode: failure.errorCode,
      retryAfterHeader: failure.retryAfter,
      random: options.random ?? Math.random,
      nowMs: Date.now(),
    });
    if (!decision.retry) {
      // A connection that kept dropping fails this file like a cut one; a TLS or DNS error stays itself.
      if (failure.error instanceof NetworkError && failure.error.retryable) {
        throw new ExportFileError(
          'truncated',
          `export file ${safeUrl} could not be downloaded: ${decision.reason}`,
          {
            url: safeUrl,
            cause: failure.error,
          },
        );
      }
      throw failure.error;
    }
    summary.retries++;
    options.log?.(
      'warn',
      'export-retry',
      `export file ${safeUrl}: ${decision.reason}; retry in ${decision.delayMs} ms`,
      {
        attempt,
        delivered,
      },
    );
    emitRetry(options.onRetry, {
      request: 'export file download',
      retry: attempt,
      maxRetries,
      delayMs: decision.delayMs,
      cause:
        failure.error instanceof NetworkError
          ? failure.error.detail
          : `export file download answered ${failure.status ?? 'an error'}`,
      throttled: failure.status === 429,
    });
    await sleep(decision.delayMs, options.signal);
  }
}

function download(transport: HttpTransport, url: string, options: ReadExportFileOptions) {
  // No Authorization header: the SAS is in the URL, and a bearer token must never reach a blob host.
  return transport.request({
    method: 'GET',
    url,
    headers: { accept: 'application/octet-stream' },
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** Lines queued ahead of the consumer before the gunzip stream is paused (readline's own limit). */
const MAX_QUEUED_LINES = 1024;

/** Gunzip + line splitting over a body, remembering the first error and the compressed byte count. */
function streamLines(body: Readable) {
  // 256 KB output chunks, not the default 16 KB: far fewer callbacks per file (docs/benchmarks.md).
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  let bytes = 0;
  let firstError: Error | undefined;
  body.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  body.on('error', (error) => {
    firstError ??= error;
    // Let gunzip finish what already arrived, so those lines are not downloaded twice; its
    // "unexpected end of file" that follows is not the cause and is ignored.
    gunzip.end();
  });
  // Lines are split as each chunk arrives (as readline did), so whatever gunzip produced before an
  // error is still handed out; the consumer takes them a chunk's worth at a time.
  const splitter = new LineSplitter();
  const queue: string[][] = [];
  let queued = 0;
  let ended = false;
  let failed = false;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  gunzip.on('data', (chunk: Buffer) => {
    const lines = splitter.push(chunk);
    if (lines.length === 0) return;
    queue.push(lines);
    queued += lines.length;
    // Back-pressure: a consumer busy storing a batch stops the download instead of buffering it.
    if (queued > MAX_QUEUED_LINES) gunzip.pause();
    notify();
  });
  gunzip.on('end', () => {
    const last = splitter.end();
    if (last !== undefined) queue.push([last]);
    ended = true;
    notify();
  });
  gunzip.on('error', (error) => {
    firstError ??= error;
    failed = true;
    notify();
  });
  body.pipe(gunzip);
  async function* lines(): AsyncGenerator<string[], void> {
    for (;;) {
      const next = queue.shift();
      if (next !== undefined) {
        queued -= next.length;
        if (queued <= MAX_QUEUED_LINES && gunzip.isPaused() && !failed) gunzip.resume();
        yield next;
        continue;
      }
      if (failed) throw firstError;
      if (ended) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  }
  return {
    /** The lines of each chunk, in order; throws (after the lines before it) when gunzip fails. */
    lines: lines(),
    bytes: () => bytes,
    /** The failure, if any (a 0-byte body is told apart by {@link bytes}). */
    error: (): Error | undefined => firstError,
    /** Frees the connection when the consumer stops early. */
    close: () => {
      if (!body.readableEnded) body.destroy();
      gunzip.destroy();
      notify();
    },
  };
}

/** A JSON object, or undefined for anything else (bad JSON, arrays, scalars). */
function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function isZlibError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('Z_');
}

function preview(line: string): string {
  return JSON.stringify(line.length > 60 ? `${line.slice(0, 60)}…` : line);
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
