import { createHash } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { decideForSnapshot, type FindingStatus } from '../../normalize/finding-lifecycle.js';
import type { SnapshotBatchResult } from './finding-batch.js';
import {
  DEVICE_COLUMN,
  initialValue,
  LIFECYCLE_COLUMNS,
  REWRITTEN_COLUMNS,
  ROW_REAL_COLUMNS,
  SNAPSHOT_ROW_COLUMNS,
  type SnapshotRowField,
  SOFTWARE_COLUMNS,
  sqlColumn,
} from './finding-columns.js';
import type { Checkpoint } from './finding-writer.js';
import { detachedText, ROW, type SnapshotRow } from './snapshot-row-codec.js';

/**
 * The insert binds a row's device and software ids, its real columns and its packed text. Values that
 * are the same for every row of a batch are not bound at all: they are literals of the batch's
 * statement ({@link batchConstants}): better-sqlite3 copies every bound text twice (to UTF-8, then
 * into SQLite), so each value not bound is work saved on every row (docs/benchmarks.md).
 */
const INSERTED = ['device_id', 'software_id', ...ROW_REAL_COLUMNS.map(sqlColumn), 'packed'];
/** Row positions of the real columns a new finding is inserted with, in the insert's order. */
const REAL_POSITIONS = ROW_REAL_COLUMNS.map((c) => ROW[c.column as SnapshotRowField]);
/** Row positions that a new finding without a value fills with the snapshot time. */
const OR_STATE_TIME = SNAPSHOT_ROW_COLUMNS.flatMap((c, i) =>
  c.from === 'finding' && c.orStateTime === true ? [i] : [],
);
/** Row positions of the columns a changed finding's row takes anew, in the update's order. */
const REWRITTEN = [...REWRITTEN_COLUMNS.map((c) => ROW[c.column as SnapshotRowField]), ROW.packed];
const REWRITTEN_SET = [...REWRITTEN_COLUMNS.map(sqlColumn), 'packed'].map((c) => `${c} = ?`).join(', ');
const SOFTWARE_POSITIONS = SOFTWARE_COLUMNS.map((c) => ROW[c.column as SnapshotRowField]);
const KEY = 'connector_id = ? AND device_id = ? AND software_id = ? AND cve_id = ?';

/** A text or number as an SQL literal (quotes doubled, so any text is safe in it). */
function literal(value: string | number | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`not a finite number: ${value}`);
    return String(value);
  }
  return `'${value.replace(/'/g, "''")}'`;
}

/** The columns every row of one batch shares, as literals: a new finding's lifecycle columns. */
function batchConstants(
  ctx: SnapshotWriteContext,
  snapshotTime: string,
): Array<[column: string, sql: string]> {
  return LIFECYCLE_COLUMNS.map((c) => [sqlColumn(c), literal(initialValue(c.initial, ctx, snapshotTime))]);
}

/** Where a snapshot batch belongs; plain data, so it can cross to a writer thread. */
export interface SnapshotWriteContext {
  connectorId: number;
  seenToken: number;
  /** ISO time of this write. */
  at: string;
  /** See FindingBatchContext.firstLoad: rows are upserted without a lookup each. */
  firstLoad?: boolean;
}

interface Statements {
  device: BetterSqlite3.Statement;
  deviceState: BetterSqlite3.Statement;
  setDigest: BetterSqlite3.Statement;
  deviceId: BetterSqlite3.Statement;
  software: BetterSqlite3.Statement;
  softwareId: BetterSqlite3.Statement;
  lookup: BetterSqlite3.Statement;
  update: BetterSqlite3.Statement;
  scanned: BetterSqlite3.Statement;
  checkpoint: BetterSqlite3.Statement;
}

/** The statements prepared with a batch's constants (see `batchStatements`). */
interface BatchStatements {
  key: string;
  insert: BetterSqlite3.Statement;
  insertNew: BetterSqlite3.Statement;
  touch: BetterSqlite3.Statement;
  /** Marks a device's open findings seen: connector, device id. */
  touchDevice: BetterSqlite3.Statement;
}

/**
 * "Open", written so that SQLite reads a device's findings through the table's key (connector, device)
 * rather than the status index (connector, status, severity), which would read every open finding of
 * the connector for each device: the unary `+` keeps a term from choosing an index.
 */
const OPEN_BY_KEY = "+status = 'open'";

/** Row position of the machine id, by which rows are grouped per device. */
const MACHINE = ROW[DEVICE_COLUMN.column as SnapshotRowField];

/**
 * The digest of one device's rows: each distinct key (software id, CVE) with its content hash, in key
 * order, so it does not depend on the order the rows came in; a key repeated keeps its last row, as
 * the writer does. `keys` is how many distinct keys there are.
 */
function digestOf(device: readonly SnapshotRow[], softwareIds: readonly number[]) {
  const byKey = new Map<string, string>();
  for (let i = 0; i < device.length; i++)
    byKey.set(`${softwareIds[i]}\u0001${device[i]![ROW.cveId]}`, device[i]![ROW.contentHash] as string);
  const hash = createHash('sha1');
  for (const k of [...byKey.keys()].sort()) hash.update(`${k}\u0002${byKey.get(k)}\u0003`);
  return { value: hash.digest('base64'), keys: byKey.size };
}

/**
 * The full-snapshot write path on SQLite with prepared statements and one synchronous transaction
 * per batch: the same decisions as the portable Kysely path, without building SQL per batch. At
 * millions of rows that difference is most of the store's time (docs/benchmarks.md#targets: lean prepared
 * statements and large transactions). It runs on the snapshot writer thread
 * (`sqlite-snapshot-worker.ts`) or inline, with the same code.
 */
export class SqliteSnapshotWriter {
  private readonly statements: Statements;
  /** The last batch's statements, and the constants they were prepared with. */
  private batch: BatchStatements | undefined;

  /**
   * Devices this writer stored rows of in the current pass (connector and seen token): a device met
   * again later in the pass (its rows split between batches) has no digest that covers all its rows.
   */
  private passDevices = new Set<number>();
  private pass = '';

  /** Device ids by machine id, of {@link devicesOf}'s connector; software ids by vendor, name, version. */
  private devices = new Map<string, number>();
  private devicesOf = 0;
  private readonly software = new Map<string, number>();
  /** The key of the row being written: connector, device id, software id, CVE. */
  private readonly key: [number, number, number, string] = [0, 0, 0, ''];

  constructor(private readonly db: BetterSqlite3.Database) {
    this.statements = {
      device: db.prepare(
        'INSERT INTO finding_devices (connector_id, machine_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
      ),
      deviceId: db
        .prepare('SELECT id FROM finding_devices WHERE connector_id = ? AND machine_id = ?')
        .pluck(),
      deviceState: db.prepare(
        `SELECT d.open_digest AS digest, (SELECT count(*) FROM findings AS f
           WHERE f.connector_id = d.connector_id AND f.device_id = d.id AND ${OPEN_BY_KEY}) AS open
         FROM finding_devices AS d WHERE d.id = ?`,
      ),
      setDigest: db.prepare('UPDATE finding_devices SET open_digest = ? WHERE id = ?'),
      software: db.prepare(
        'INSERT INTO finding_software (vendor, name, version) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      ),
      softwareId: db
        .prepare('SELECT id FROM finding_software WHERE vendor = ? AND name = ? AND version = ?')
        .pluck(),
      lookup: db.prepare(
        `SELECT status, content_hash AS contentHash, reopened_count AS reopenedCount FROM findings WHERE ${KEY}`,
      ),
      update: db.prepare(
        `UPDATE findings SET ${REWRITTEN_SET}, status = 'open', reopened_count = ?, last_found = ?, state_time = ?, seen_run_id = ?, updated_at = ? WHERE ${KEY}`,
      ),
      scanned: db.prepare(
        'UPDATE host_sources SET vulnerability_seen_token = ? WHERE connector_id = ? AND machine_id = ?',
      ),
      checkpoint: db.prepare(
        'INSERT INTO sync_checkpoints (connector_id, stream, value, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (connector_id, stream) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      ),
    };
  }

  /**
   * One batch in one transaction: the devices it saw marked scanned, its findings inserted, touched
   * or rewritten, and the stream checkpoint, so a killed run resumes after the last batch stored.
   * A key repeated in the batch or the pass is stored once; the last row wins.
   */
  write(
    ctx: SnapshotWriteContext,
    rows: Iterable<SnapshotRow>,
    scannedMachineIds: readonly string[],
    snapshotTime: string,
    checkpoint: Checkpoint,
  ): SnapshotBatchResult {
    const s = this.statements;
    const batch = this.batchStatements(ctx, snapshotTime);
    const result: SnapshotBatchResult = { inserted: 0, updated: 0, unchanged: 0, reopened: 0 };
    const pass = `${ctx.connectorId}:${ctx.seenToken}`;
    if (this.pass !== pass) {
      this.pass = pass;
      this.passDevices = new Set();
    }
    this.db.transaction(() => {
      for (const machineId of scannedMachineIds) s.scanned.run(ctx.seenToken, ctx.connectorId, machineId);
      // Export rows arrive grouped by device: each device's run of rows is stored together.
      let device: SnapshotRow[] = [];
      for (const r of rows) {
        if (device.length > 0 && r[MACHINE] !== device[0]![MACHINE]) {
          this.writeDevice(ctx, batch, device, snapshotTime, result);
          device = [];
        }
        device.push(r);
      }
      if (device.length > 0) this.writeDevice(ctx, batch, device, snapshotTime, result);
      s.checkpoint.run(ctx.connectorId, checkpoint.stream, JSON.stringify(checkpoint.value), ctx.at);
    })();
    return result;
  }

  /**
   * One device's rows of a batch. When they hash to the digest of the device's open findings and are
   * as many, they are exactly those findings, unchanged: the device's open findings are marked seen in
   * one statement, as the row-by-row touch would mark each (docs/sync.md#vulnerabilities-full).
   * Otherwise each row is stored by itself, and the digest of the rows is kept for the next pass.
   * The count guards against a digest of fewer rows than the device has open (a pass resumed within a
   * device, findings the sweep spared); a delta clears the digest of every device it writes.
   */
  private writeDevice(
    ctx: SnapshotWriteContext,
    batch: BatchStatements,
    device: SnapshotRow[],
    snapshotTime: string,
    result: SnapshotBatchResult,
  ): void {
    const s = this.statements;
    const deviceId = this.deviceId(ctx.connectorId, device[0]![MACHINE] as string);
    const softwareIds = device.map((r) => this.softwareId(r));
    const digest = digestOf(device, softwareIds);
    const again = this.passDevices.has(deviceId);
    this.passDevices.add(deviceId);
    if (!again && !ctx.firstLoad) {
      const stored = s.deviceState.get(deviceId) as { digest: string | null; open: number };
      if (stored.digest === digest.value && stored.open === digest.keys) {
        batch.touchDevice.run(ctx.connectorId, deviceId);
        result.unchanged += device.length;
        return;
      }
    }
    for (let i = 0; i < device.length; i++)
      this.writeRow(ctx, batch, device[i]!, deviceId, softwareIds[i]!, snapshotTime, result);
    s.setDigest.run(again ? null : digest.value, deviceId);
  }

  /** One row by itself: inserted, touched, rewritten or reopened, as `decideForSnapshot` decides. */
  private writeRow(
    ctx: SnapshotWriteContext,
    batch: BatchStatements,
    r: SnapshotRow,
    deviceId: number,
    softwareId: number,
    snapshotTime: string,
    result: SnapshotBatchResult,
  ): void {
    const s = this.statements;
    const key = this.key;
    key[0] = ctx.connectorId;
    key[1] = deviceId;
    key[2] = softwareId;
    key[3] = r[ROW.cveId] as string;
    // A first load (see FindingBatchContext.firstLoad) tries the insert first, which saves a
    // search of the key per row (docs/benchmarks.md#targets); only a key this pass already
    // stored is looked up. (INSERT OR IGNORE needs no statement journal; an upsert does, and
    // costs more than the lookup it saves.)
    if (ctx.firstLoad && batch.insertNew.run(this.insertValues(key, r, snapshotTime)).changes === 1) {
      result.inserted++;
      return;
    }
    const stored = s.lookup.get(key) as
      | { status: FindingStatus; contentHash: string; reopenedCount: number }
      | undefined;
    const decision = decideForSnapshot(
      stored && { ...stored, stateTime: '', rbacGroupId: null, lastFixed: null },
      r[ROW.contentHash] as string,
    );
    if (decision === 'insert') {
      batch.insert.run(this.insertValues(key, r, snapshotTime));
      result.inserted++;
    } else if (decision === 'touch') {
      batch.touch.run(key);
      result.unchanged++;
    } else {
      const reopened = decision === 'reopen';
      const values: unknown[] = new Array(REWRITTEN.length);
      for (let k = 0; k < REWRITTEN.length; k++) values[k] = r[REWRITTEN[k]!];
      s.update.run(
        values,
        stored!.reopenedCount + (reopened ? 1 : 0),
        snapshotTime,
        snapshotTime,
        ctx.seenToken,
        ctx.at,
        key,
      );
      result.updated++;
      if (reopened) result.reopened++;
    }
  }

  private deviceId(connectorId: number, machineId: string): number {
    if (this.devicesOf !== connectorId) {
      this.devices = new Map();
      this.devicesOf = connectorId;
    }
    let id = this.devices.get(machineId);
    if (id === undefined) {
      this.statements.device.run(connectorId, machineId);
      id = Number(this.statements.deviceId.get(connectorId, machineId));
      // The map outlives the batch the machine id was cut from.
      this.devices.set(detachedText(machineId), id);
    }
    return id;
  }

  private softwareId(r: SnapshotRow): number {
    const names = SOFTWARE_POSITIONS.map((i) => r[i] as string);
    // A joined text is a copy, so the cache key keeps none of the batch alive (see detachedText).
    const cacheKey = names.join('\u0001');
    let id = this.software.get(cacheKey);
    if (id === undefined) {
      this.statements.software.run(names);
      id = Number(this.statements.softwareId.get(names));
      this.software.set(cacheKey, id);
    }
    return id;
  }

  /** A new finding's bound values: a finding MDE gives no first-seen time for was first found now. */
  private insertValues(key: readonly [number, number, number, string], r: SnapshotRow, snapshotTime: string) {
    for (const i of OR_STATE_TIME) if (r[i] === null) r[i] = snapshotTime;
    const values: unknown[] = new Array(INSERTED.length);
    values[0] = key[1];
    values[1] = key[2];
    for (let k = 0; k < REAL_POSITIONS.length; k++) values[k + 2] = r[REAL_POSITIONS[k]!];
    values[INSERTED.length - 1] = r[ROW.packed];
    return values;
  }

  /**
   * The insert and the touch for a batch's constants. The write time is one of them, so in a sync
   * they are prepared once per batch of 10,000 rows (a few statements against 10,000 executions).
   */
  private batchStatements(ctx: SnapshotWriteContext, snapshotTime: string): BatchStatements {
    const constants = batchConstants(ctx, snapshotTime);
    const key = constants.map(([, sql]) => sql).join(',');
    if (this.batch?.key !== key) {
      const columns = [...INSERTED, ...constants.map(([c]) => c)];
      const values = [...INSERTED.map(() => '?'), ...constants.map(([, sql]) => sql)];
      const seen = literal(ctx.seenToken);
      const time = literal(snapshotTime);
      const insert = `INSERT INTO findings (${columns.join(', ')}) VALUES (${values.join(', ')})`;
      this.batch = {
        key,
        insert: this.db.prepare(insert),
        // A first load's insert: a key this pass stored already is skipped here, then looked up.
        insertNew: this.db.prepare(insert.replace('INSERT INTO', 'INSERT OR IGNORE INTO')),
        touch: this.db.prepare(
          `UPDATE findings SET seen_run_id = ${seen}, last_found = ${time}, state_time = ${time} WHERE ${KEY}`,
        ),
        touchDevice: this.db.prepare(
          `UPDATE findings SET seen_run_id = ${seen}, last_found = ${time}, state_time = ${time}
           WHERE connector_id = ? AND device_id = ? AND ${OPEN_BY_KEY}`,
        ),
      };
    }
    return this.batch;
  }
}
