import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { NormalizedFinding } from '../../normalize/model.js';
import { copyTextRow } from '../db/copy-text.js';
import type { FindingBatchContext, SnapshotBatchResult } from './finding-batch.js';
import {
  DEVICE_COLUMN,
  initialValue,
  isRealColumn,
  LIFECYCLE_COLUMNS,
  packedText,
  REWRITTEN_COLUMNS,
  ROW_REAL_COLUMNS,
  rowValue,
  SNAPSHOT_ROW_COLUMNS,
  SOFTWARE_COLUMNS,
  sqlColumn,
} from './finding-columns.js';

/**
 * The staging table a batch is copied into: temporary (never written to the WAL, private to the
 * connection), holding a snapshot row's fields and packed text, then the ids its device and software
 * version resolve to; emptied at every commit.
 */
const STAGE = 'finding_stage';
const STAGE_COLUMNS = [...SNAPSHOT_ROW_COLUMNS.map(sqlColumn), 'packed'];
const STAGE_LIST = STAGE_COLUMNS.join(', ');
const MACHINE = sqlColumn(DEVICE_COLUMN);
const [VENDOR, NAME, VERSION] = SOFTWARE_COLUMNS.map(sqlColumn) as [string, string, string];

/** Rows per chunk written to the COPY stream. */
const COPY_CHUNK_ROWS = 500;

// A stored finding is matched by its connector and key; the lifecycle decisions of
// `decideForSnapshot` in SQL: stored as fixed → reopen; open with the same content hash → touch;
// open with another → update; not stored → insert.
const SAME_FINDING =
  'f.connector_id = $1 AND f.device_id = s.device_id AND f.software_id = s.software_id AND f.cve_id = s.cve_id';
const UNCHANGED = "f.status <> 'fixed' AND f.content_hash IS NOT DISTINCT FROM s.content_hash";
const CHANGED = "(f.status = 'fixed' OR f.content_hash IS DISTINCT FROM s.content_hash)";

// Open and unchanged: only the seen markers move. $1 connector, $2 seen token, $3 snapshot time.
const TOUCH = `UPDATE findings AS f SET seen_run_id = $2, last_found = $3, state_time = $3
  FROM ${STAGE} AS s WHERE ${SAME_FINDING} AND ${UNCHANGED}`;

// The stored findings of the batch that are fixed: the rewrite below reopens them. $1 connector.
const REOPENING = `SELECT count(*)::int AS n FROM ${STAGE} AS s JOIN findings AS f ON ${SAME_FINDING}
  WHERE f.status = 'fixed'`;

// Fixed or changed: the content columns are rewritten and the finding is open again, a reopening
// counted (the SET list reads the row as it was before the update).
// $1 connector, $2 seen token, $3 snapshot time, $4 write time.
const REWRITE = `UPDATE findings AS f SET ${[...REWRITTEN_COLUMNS.map(sqlColumn), 'packed']
  .map((c) => `${c} = s.${c}`)
  .join(', ')},
    reopened_count = f.reopened_count + CASE WHEN f.status = 'fixed' THEN 1 ELSE 0 END,
    status = 'open', last_found = $3, state_time = $3, seen_run_id = $2, updated_at = $4
  FROM ${STAGE} AS s WHERE ${SAME_FINDING} AND ${CHANGED}`;

/**
 * A batch's merge looks each staged key up in the findings key index. The planner would otherwise
 * hash the whole findings table for every batch, and compile each statement to machine code: both
 * cost more than the batch itself. `SET LOCAL` ends with the batch's transaction.
 */
/** The ids of the batch's devices and software versions, created for those not stored yet. $1 connector. */
const RESOLVE_IDS = [
  `INSERT INTO finding_devices (connector_id, machine_id) SELECT DISTINCT $1::integer, ${MACHINE} FROM ${STAGE}
    ON CONFLICT DO NOTHING`,
  `INSERT INTO finding_software (vendor, name, version) SELECT DISTINCT ${VENDOR}, ${NAME}, ${VERSION} FROM ${STAGE}
    ON CONFLICT DO NOTHING`,
  `UPDATE ${STAGE} AS s SET device_id = d.id FROM finding_devices AS d
    WHERE d.connector_id = $1 AND d.machine_id = s.${MACHINE}`,
  `UPDATE ${STAGE} AS s SET software_id = v.id FROM finding_software AS v
    WHERE v.vendor = s.${VENDOR} AND v.name = s.${NAME} AND v.version = s.${VERSION}`,
];

const LOOKUP_BY_KEY =
  'SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; SET LOCAL jit = off';

/** Rows inserted before the planner's statistics are first brought up to date. */
const FIRST_ANALYZE_ROWS = 10_000;

/**
 * When the findings table has grown enough, within one writer's life, for the planner's statistics to
 * mislead it: each time the rows this writer inserted since the last `ANALYZE` reach the rows it had
 * inserted before it (and at least {@link FIRST_ANALYZE_ROWS}). A first load is counted from a few
 * rows, and a plan made for a table of a few rows drives the batch from the findings table, reading
 * the whole staging table once per stored finding; analysed at each doubling, the table is counted
 * within a factor of two, for about twenty `ANALYZE`s up to a million times the first batch.
 */
export class PlannerStatistics {
  private counted = 0;
  private since = 0;

  stale(): boolean {
    return this.since >= Math.max(FIRST_ANALYZE_ROWS, this.counted);
  }

  analyzed(): void {
    this.counted += this.since;
    this.since = 0;
  }

  inserted(rows: number): void {
    this.since += rows;
  }
}

interface Connection {
  /** The types of the findings table's lifecycle columns, to cast the values bound for them. */
  lifecycleTypes: ReadonlyMap<string, string>;
}

/** The staging table's columns as a SELECT list over the findings table `f`: its types, no rows. */
const STAGE_SELECT = [
  ...SNAPSHOT_ROW_COLUMNS.map((c) =>
    isRealColumn(c) ? `f.${sqlColumn(c)}` : `NULL::text AS ${sqlColumn(c)}`,
  ),
  'f.packed',
  'f.device_id',
  'f.software_id',
].join(', ');

/** What each connection has set up: its staging table and the column types. */
const prepared = new WeakMap<pg.ClientBase, Connection>();

async function prepare(client: pg.ClientBase): Promise<Connection> {
  const known = prepared.get(client);
  if (known) return known;
  await client.query(
    `CREATE TEMPORARY TABLE IF NOT EXISTS ${STAGE} ON COMMIT DELETE ROWS AS SELECT ${STAGE_SELECT} FROM findings AS f WITH NO DATA`,
  );
  // Whichever side the planner drives the merges from (its statistics of a growing table lag), each
  // row finds its partner through an index: the findings key, or this one.
  await client.query(`CREATE INDEX IF NOT EXISTS ${STAGE}_key ON ${STAGE} (device_id, software_id, cve_id)`);
  const { rows } = await client.query<{ name: string; type: string }>(
    `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
     WHERE attrelid = 'findings'::regclass AND attnum > 0 AND NOT attisdropped`,
  );
  const connection = { lifecycleTypes: new Map(rows.map((r) => [r.name, r.type])) };
  prepared.set(client, connection);
  return connection;
}

/** The INSERT of the staged findings not stored yet, its values bound from $2 on. */
function insertStatement(connection: Connection): string {
  const real = ROW_REAL_COLUMNS.map(sqlColumn);
  const columns = ['device_id', 'software_id', ...real, 'packed', ...LIFECYCLE_COLUMNS.map(sqlColumn)];
  // $2 is the snapshot time; the lifecycle values follow, one parameter each.
  const values = [
    's.device_id',
    's.software_id',
    ...ROW_REAL_COLUMNS.map((c) => {
      const column = `s.${sqlColumn(c)}`;
      return c.from === 'finding' && c.orStateTime ? `COALESCE(${column}, $2)` : column;
    }),
    's.packed',
    ...LIFECYCLE_COLUMNS.map((c, i) => `$${i + 3}::${connection.lifecycleTypes.get(sqlColumn(c))}`),
  ];
  return `INSERT INTO findings (${columns.join(', ')}) SELECT ${values.join(', ')} FROM ${STAGE} AS s
    WHERE NOT EXISTS (SELECT 1 FROM findings AS f WHERE ${SAME_FINDING})`;
}

/**
 * A batch of a full snapshot on PostgreSQL, inside the caller's transaction on `client`: its rows
 * are copied (COPY, text format) into the connection's staging table, then merged by three set-based
 * statements whatever the batch's size: a touch of the unchanged, a rewrite of the changed and
 * reopened, an insert of the new. The decisions are `decideForSnapshot`'s, written as SQL; the batch
 * holds each finding key once.
 */
export async function writeSnapshotBatchOnPostgres(
  client: pg.ClientBase,
  ctx: FindingBatchContext,
  batch: readonly NormalizedFinding[],
  snapshotTime: string,
  statistics: PlannerStatistics,
): Promise<SnapshotBatchResult> {
  const result: SnapshotBatchResult = { inserted: 0, updated: 0, unchanged: 0, reopened: 0 };
  if (batch.length === 0) return result;
  const connection = await prepare(client);
  if (statistics.stale()) {
    await client.query('ANALYZE findings');
    statistics.analyzed();
  }
  await pipeline(
    Readable.from(copyChunks(ctx, batch)),
    client.query(copyFrom(`COPY ${STAGE} (${STAGE_LIST}) FROM STDIN`)),
  );

  for (const statement of RESOLVE_IDS)
    await client.query(statement, statement.includes('$1') ? [ctx.connectorId] : []);
  await client.query(LOOKUP_BY_KEY);
  const touched = await client.query(TOUCH, [ctx.connectorId, ctx.seenToken, snapshotTime]);
  result.unchanged = touched.rowCount ?? 0;
  if (result.unchanged < batch.length) {
    const { rows } = await client.query<{ n: number }>(REOPENING, [ctx.connectorId]);
    result.reopened = rows[0]!.n;
    const rewritten = await client.query(REWRITE, [ctx.connectorId, ctx.seenToken, snapshotTime, ctx.at]);
    result.updated = rewritten.rowCount ?? 0;
  }
  if (result.unchanged + result.updated < batch.length) {
    const inserted = await client.query(insertStatement(connection), [
      ctx.connectorId,
      snapshotTime,
      ...LIFECYCLE_COLUMNS.map((c) => initialValue(c.initial, ctx, snapshotTime)),
    ]);
    result.inserted = inserted.rowCount ?? 0;
    statistics.inserted(result.inserted);
  }
  return result;
}

/** The batch as COPY text, a few hundred rows a chunk. */
function* copyChunks(ctx: FindingBatchContext, batch: readonly NormalizedFinding[]): Generator<string> {
  let chunk = '';
  for (let i = 0; i < batch.length; i++) {
    const f = batch[i]!;
    chunk += copyTextRow([...SNAPSHOT_ROW_COLUMNS.map((c) => rowValue(c, ctx, f, null)), packedText(f)]);
    if ((i + 1) % COPY_CHUNK_ROWS === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk !== '') yield chunk;
}
