import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { EXPORT_KINDS, type ExportKind } from '../export-store.js';
import type { SimulatorState } from '../simulator-state.js';
import { verifyBlobSignature } from './blob-signature.js';
import { BROKEN_EXPORT_LINE, corruptRecord } from './corrupt-record.js';
import type { FaultRule } from './faults.js';

const BLOB_PATH = /^\/blob\/tvm-export\/([a-z]+)\/(\d+)\/part-(\d+)\.json\.gz$/;

/** Azure Blob Storage answers errors as XML (what a client sees when a SAS link has expired). */
function sendBlobError(res: ServerResponse, status: number, code: string, message: string, detail?: string) {
  const body =
    `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}\n` +
    `RequestId:${randomUUID()}\nTime:${new Date().toISOString()}</Message>` +
    (detail ? `<AuthenticationErrorDetail>${detail}</AuthenticationErrorDetail>` : '') +
    '</Error>';
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const AUTH_FAILED =
  'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.';

/**
 * Serves export files the way Azure Blob does for a SAS link: no bearer token, the signature and
 * expiry in the query string, gzip bytes with a Content-Length (docs/mde-api.md#export-files).
 */
export async function handleBlobRequest(
  sim: SimulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  faults: FaultRule[],
): Promise<void> {
  const m = BLOB_PATH.exec(url.pathname);
  if (!m || !(EXPORT_KINDS as readonly string[]).includes(m[1]!)) {
    sendBlobError(res, 404, 'ResourceNotFound', 'The specified resource does not exist.');
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendBlobError(res, 405, 'UnsupportedHttpVerb', "The resource doesn't support specified Http Verb.");
    return;
  }
  const expiry = url.searchParams.get('se') ?? '';
  const signature = url.searchParams.get('sig') ?? '';
  const now = sim.clock.now();
  const expired = faults.some((f) => f.kind === 'expired-link') || !(Date.parse(expiry) > now);
  if (!verifyBlobSignature(sim.blobSecret, url.pathname, expiry, signature)) {
    sendBlobError(res, 403, 'AuthenticationFailed', AUTH_FAILED, 'Signature did not match.');
    return;
  }
  if (expired) {
    sendBlobError(
      res,
      403,
      'AuthenticationFailed',
      AUTH_FAILED,
      `Signed expiry time [${new Date(Date.parse(expiry) || 0).toUTCString()}] must be after signed start time [${new Date(now).toUTCString()}]`,
    );
    return;
  }
  const path = await sim.exports.file(m[1] as ExportKind, Number(m[2]), Number(m[3]));
  if (!path) {
    sendBlobError(res, 404, 'BlobNotFound', 'The specified blob does not exist.');
    return;
  }
  const headers = { 'content-type': 'application/octet-stream', 'x-ms-blob-type': 'BlockBlob' };
  if (faults.some((f) => f.kind === 'empty-file')) {
    res.writeHead(200, { ...headers, 'content-length': 0 });
    res.end();
    return;
  }
  if (faults.some((f) => f.kind === 'malformed-records')) {
    const body = await malformedFile(path);
    res.writeHead(200, { ...headers, 'content-length': body.length });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  const size = (await stat(path)).size;
  // A truncated file is a complete download of a file that was cut: the gzip stream ends early.
  const length = faults.some((f) => f.kind === 'truncated-gzip') ? Math.floor(size / 2) : size;
  res.writeHead(200, { ...headers, 'content-length': length });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  if (faults.some((f) => f.kind === 'cut-body')) {
    // The connection drops half-way through the body (a reset mid-download).
    const half = createReadStream(path, { start: 0, end: Math.max(0, Math.floor(length / 2) - 1) });
    half.on('data', (chunk) => res.write(chunk));
    half.on('end', () => res.socket?.destroy());
    return;
  }
  if (length === 0) {
    res.end();
    return;
  }
  const slow = faults.find((f) => f.kind === 'slow');
  const source = createReadStream(path, { start: 0, end: length - 1 });
  const done = slow ? pipeline(source, throttle(length, slow.param ?? 2000), res) : pipeline(source, res);
  await done.catch(() => res.destroy());
}

/**
 * The file with malformed records: its first record's identity field has the wrong type, and a line
 * that is not JSON follows it. Still a complete gzip stream: only the contents are bad. Test files
 * are small, so this one is built in memory.
 */
async function malformedFile(path: string): Promise<Buffer> {
  const lines = gunzipSync(await readFile(path))
    .toString('utf8')
    .split('\n');
  const first = lines[0]
    ? JSON.stringify(corruptRecord(JSON.parse(lines[0]) as Record<string, unknown>))
    : '';
  return gzipSync([first, BROKEN_EXPORT_LINE, ...lines.slice(1)].join('\n'));
}

/** Spreads a body over `totalMs`, for the slow-body fault. */
function throttle(length: number, totalMs: number): Transform {
  const perByte = totalMs / Math.max(1, length);
  return new Transform({
    async transform(chunk: Buffer, _enc, done) {
      await sleep(chunk.length * perByte);
      done(null, chunk);
    },
  });
}
