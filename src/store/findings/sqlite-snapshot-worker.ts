/**
 * The snapshot writer thread: the full sync parses and normalizes on the main thread
 * while this thread stores the previous batch, so the two cores overlap. It owns its own connection
 * to the same SQLite file (WAL lets the main thread read meanwhile) and answers each batch with its
 * counts, in order. Messages are plain data; rows arrive encoded as one string per batch.
 */
import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import { configureSqlite } from '../db/configure-sqlite.js';
import { decodeRows } from './snapshot-row-codec.js';
import type { SnapshotWorkerReply, SnapshotWorkerRequest } from './snapshot-worker-messages.js';
import { SqliteSnapshotWriter } from './sqlite-snapshot-writer.js';

const port = parentPort;
if (!port) throw new Error('sqlite-snapshot-worker runs as a worker thread');
const db = new BetterSqlite3((workerData as { path: string }).path);
configureSqlite(db);
// 32 MB rather than 64: the thread's allocations live in a malloc arena of their own, which the
// process does not give back while the pass runs (peak memory: docs/benchmarks.md#targets).
db.pragma('cache_size = -32768');

const writer = new SqliteSnapshotWriter(db);

/** After a failed batch nothing later is stored: its checkpoint would skip the failed rows. */
let failed: string | undefined;
let failedCode: string | undefined;

port.on('message', (request: SnapshotWorkerRequest) => {
  let reply: SnapshotWorkerReply;
  if (failed) {
    port.postMessage({
      id: request.id,
      ok: false,
      message: `an earlier batch failed: ${failed}`,
      ...(failedCode ? { sqliteCode: failedCode } : {}),
    });
    return;
  }
  try {
    const result = writer.write(
      request.ctx,
      decodeRows(request.rows),
      request.scanned,
      request.snapshotTime,
      request.checkpoint,
    );
    reply = { id: request.id, ok: true, result };
  } catch (err) {
    failed = err instanceof Error ? err.message : String(err);
    // The main thread tells a database failure from a bug in the batch by this code.
    if (err instanceof BetterSqlite3.SqliteError) failedCode = err.code;
    reply = { id: request.id, ok: false, message: failed, ...(failedCode ? { sqliteCode: failedCode } : {}) };
  }
  port.postMessage(reply);
});
port.once('close', () => db.close());
