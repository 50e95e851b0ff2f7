import {
  type AliasedRawBuilder,
  type AliasedSelectQueryBuilder,
  type ExpressionBuilder,
  type Kysely,
  type RawBuilder,
  type SelectQueryBuilder,
  sql,
} from 'kysely';
import type { FindingColumn, FindingValueType } from '../../normalize/finding-columns.js';
import { FINDING_COLUMN_LIST } from '../../normalize/finding-columns.js';
import { findingKey } from '../../normalize/finding-key.js';
import { FINDING_WEIGHT_POWER } from '../../normalize/host-risk.js';
import type { NormalizedFinding } from '../../normalize/model.js';
import { generatedFunction } from '../../normalize/shape-cache.js';
import { chunk } from '../db/chunk.js';
import type { Database } from '../db/schema.js';
import type { SqlDialect } from '../db/sql-dialect.js';
import { forEngine, type Store } from '../db/store.js';
import type { FindingIds, FindingRecord } from './finding-columns.js';

/**
 * The one place that knows how findings are stored (docs/data-model.md#finding): a row per connector,
 * device id, software id and CVE, a few real columns and one packed text. Every reader of findings
 * goes through {@link findingRecords}, which gives each finding as a {@link FindingRecord}; the writers
 * resolve ids and address stored findings through the functions below.
 */

/** Kysely over the store's tables, or one of its transactions. */
type Db = Kysely<Database>;

/** The findings, as readers see them, under the name `findings`. */
export interface FindingRecordTables {
  findings: FindingRecord & FindingPosition & FindingPacked;
}

/** Where a finding sits in the table's order (device, then software version, then CVE): for keyset paging. */
export interface FindingPosition {
  deviceId: number;
  softwareId: number;
}

/** The stored form of the packed fields, for readers that unpack them themselves ({@link unpackFindings}). */
export interface FindingPacked {
  packed: string;
}

/** The SQL that reads one packed field back in its stored form (JSON text for lists and objects). */
function packedField(dialect: SqlDialect, type: FindingValueType, column: string): RawBuilder<unknown> {
  const packed = sql.ref('f.packed');
  if (dialect === 'sqlite') return sql`json_extract(${packed}, ${sql.lit(`$.${column}`)})`;
  const key = sql.lit(column);
  switch (type) {
    case 'paths':
    case 'json':
    case 'custom':
      return sql`(${packed}::json -> ${key})::text`;
    case 'integer':
    case 'flag':
      return sql`(${packed}::json ->> ${key})::integer`;
    case 'real':
      return sql`(${packed}::json ->> ${key})::double precision`;
    default:
      return sql`(${packed}::json ->> ${key})`;
  }
}

/** The SQL that reads one described column of a finding, from `f` (findings), `d` (device), `s` (software). */
function readExpression(dialect: SqlDialect, c: FindingColumn): RawBuilder<unknown> {
  if (c.from !== 'finding' || c.storage === 'column') return sql`${sql.ref(`f.${c.column}`)}`;
  switch (c.storage) {
    case 'device':
      return sql`${sql.ref('d.machineId')}`;
    case 'software':
      return sql`${sql.ref(SOFTWARE_FIELDS[c.field as keyof typeof SOFTWARE_FIELDS])}`;
    case 'packed':
      return packedField(dialect, c.type, c.column);
    case 'derived':
      return DERIVED[c.field as keyof typeof DERIVED]!;
  }
}

/** The software table's columns of the software fields. */
const SOFTWARE_FIELDS = {
  softwareVendor: 's.vendor',
  softwareName: 's.name',
  softwareVersion: 's.version',
} as const;

/** Derived fields, as normalize-finding.ts and finding-key.ts build them. */
const DERIVED: Partial<Record<keyof NormalizedFinding, RawBuilder<unknown>>> = {
  findingKey: sql`${sql.ref('d.machineId')} || '|' || ${sql.ref('f.cveId')} || '|' || ${sql.ref('s.vendor')} || '|' || ${sql.ref('s.name')} || '|' || ${sql.ref('s.version')}`,
  name: sql`${sql.ref('s.vendor')} || ' ' || ${sql.ref('s.name')} || ' ' || ${sql.ref('s.version')} || ' ' || ${sql.ref('f.cveId')}`,
};
for (const c of FINDING_COLUMN_LIST)
  if (c.from === 'finding' && c.storage === 'derived' && !DERIVED[c.field])
    throw new Error(`no way to read the derived finding field ${c.field}`);

/** The fields of a {@link FindingRecord}, in description order: the columns of a findings export. */
export const FINDING_RECORD_FIELDS: readonly string[] = FINDING_COLUMN_LIST.map((c) => c.column);

const isPacked = (c: FindingColumn) => c.from === 'finding' && c.storage === 'packed';

/**
 * What a reader of whole findings selects from {@link findingRecords}: the position, every field that
 * is not packed, and the packed text, which {@link unpackFindings} turns into its fields. Reading
 * each packed field in SQL parses the packed text once per field (about thirty times a row on
 * PostgreSQL, where it is a `::json` cast each time); JavaScript parses it once.
 */
export const FINDING_STORED_FIELDS: readonly string[] = [
  'deviceId',
  'softwareId',
  ...FINDING_COLUMN_LIST.filter((c) => !isPacked(c)).map((c) => c.column),
  'packed',
];

/** One row selected as {@link FINDING_STORED_FIELDS}, with its packed text parsed, as a row of findingRecords. */
type Unpacker = (row: Record<string, unknown>, packed: Record<string, unknown>) => Record<string, unknown>;

/** Where each field of a row of findingRecords comes from, in description order. */
const UNPACKED_FIELDS = [
  { column: 'deviceId', packed: false },
  { column: 'softwareId', packed: false },
  ...FINDING_COLUMN_LIST.map((c) => ({ column: c.column, packed: isPacked(c) })),
];

/**
 * The row as one object literal of a fixed shape, compiled once from the description (names reach the
 * source only as JSON string literals); the loop where code generation is not allowed. A packed field
 * a row was written without (it was added later) reads as null, as in SQL.
 */
const unpackRow: Unpacker =
  generatedFunction<Unpacker>(
    ['row', 'packed'],
    `return { ${UNPACKED_FIELDS.map(
      (f) =>
        `${JSON.stringify(f.column)}: ${f.packed ? 'packed' : 'row'}[${JSON.stringify(f.column)}]${f.packed ? ' ?? null' : ''}`,
    ).join(', ')} };`,
  ) ??
  ((row, packed) => {
    const record: Record<string, unknown> = {};
    for (const f of UNPACKED_FIELDS) record[f.column] = f.packed ? (packed[f.column] ?? null) : row[f.column];
    return record;
  });

/**
 * Rows selected as {@link FINDING_STORED_FIELDS}, as rows of {@link findingRecords} with every field
 * in description order (the order of an export's columns). A packed list or object is given as
 * itself where the SQL reading gives its JSON text: records present both alike.
 */
export function unpackFindings(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  const out = new Array<Record<string, unknown>>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    out[i] = unpackRow(row, JSON.parse(String(row.packed ?? '{}')) as Record<string, unknown>);
  }
  return out;
}

/**
 * Every finding as a {@link FindingRecord} (plus its position), to select from as `findings`:
 * `db.selectFrom(findingRecords(db, dialect))`. Filters on real columns reach the table's key and
 * index: both databases fold this into the outer query.
 *
 * The select of some forty expressions is the same text in every query that reads findings, so it is
 * compiled once per database handle and given to later queries as that text: building and
 * transforming its expression tree again was about a fifth of the API server's work for a host's
 * details (docs/benchmarks.md#rest-api). It holds no parameters (its literals are inlined); one that
 * did would be given as the query builder instead.
 */
export function findingRecords(db: Db, dialect: SqlDialect) {
  const known = compiledRecords.get(db);
  if (known) return known;
  const built = buildFindingRecords(db, dialect);
  const compiled = built.compile();
  const records =
    compiled.parameters.length === 0
      ? sql.raw<FindingRecord & FindingPosition & FindingPacked>(`(${compiled.sql})`).as('findings')
      : built.as('findings');
  compiledRecords.set(db, records);
  return records;
}

type FindingRecordsSource =
  | AliasedRawBuilder<FindingRecord & FindingPosition & FindingPacked, 'findings'>
  | AliasedSelectQueryBuilder<FindingRecord & FindingPosition & FindingPacked, 'findings'>;

/** By database handle; a handle has one dialect. */
const compiledRecords = new WeakMap<Db, FindingRecordsSource>();

function buildFindingRecords(db: Db, dialect: SqlDialect) {
  return db
    .selectFrom('findings as f')
    .innerJoin('findingDevices as d', 'd.id', 'f.deviceId')
    .innerJoin('findingSoftware as s', 's.id', 'f.softwareId')
    .select([
      'f.deviceId as deviceId',
      'f.softwareId as softwareId',
      ...FINDING_COLUMN_LIST.map((c) => readExpression(dialect, c).as(c.column)),
      'f.packed as packed',
    ])
    .$castTo<FindingRecord & FindingPosition & FindingPacked>();
}

/** A query over {@link findingRecords}. */
export function selectFindings(store: { db: Db; dialect: SqlDialect }) {
  return (store.db as unknown as Kysely<FindingRecordTables>).selectFrom(
    findingRecords(store.db, store.dialect) as never,
  ) as unknown as SelectQueryBuilder<FindingRecordTables, 'findings', object>;
}

/** The stored key of a finding whose ids are known. */
export interface StoredFindingKey extends FindingIds {
  connectorId: number;
  cveId: string;
}

/** Restricts a query or update of the findings table to one stored finding. */
export function whereFinding(key: StoredFindingKey) {
  return (eb: ExpressionBuilder<Database, 'findings'>) =>
    eb.and([
      eb('findings.connectorId', '=', key.connectorId),
      eb('findings.deviceId', '=', key.deviceId),
      eb('findings.softwareId', '=', key.softwareId),
      eb('findings.cveId', '=', key.cveId),
    ]);
}

/** Rows per id lookup or insert. */
const ID_CHUNK = 300;

/**
 * The device and software ids of each finding's key, created for those not known yet (both tables
 * only grow; a connector's removal removes its devices).
 */
export async function resolveFindingIds(
  db: Db,
  connectorId: number,
  findings: readonly Pick<
    NormalizedFinding,
    'findingKey' | 'machineId' | 'softwareVendor' | 'softwareName' | 'softwareVersion'
  >[],
): Promise<Map<string, FindingIds>> {
  const machines = [...new Set(findings.map((f) => f.machineId))];
  const software = new Map<string, { vendor: string; name: string; version: string }>();
  for (const f of findings)
    software.set(softwareKey(f.softwareVendor, f.softwareName, f.softwareVersion), {
      vendor: f.softwareVendor,
      name: f.softwareName,
      version: f.softwareVersion,
    });
  for (const part of chunk(machines, ID_CHUNK)) {
    await db
      .insertInto('findingDevices')
      .values(part.map((machineId) => ({ connectorId, machineId })))
      .onConflict((oc) => oc.columns(['connectorId', 'machineId']).doNothing())
      .execute();
  }
  const deviceIds = await deviceIdsOf(db, connectorId, machines);
  const softwareIds = new Map<string, number>();
  for (const part of chunk([...software.values()], ID_CHUNK)) {
    await db
      .insertInto('findingSoftware')
      .values(part)
      .onConflict((oc) => oc.columns(['vendor', 'name', 'version']).doNothing())
      .execute();
    const rows = await db
      .selectFrom('findingSoftware')
      .select(['id', 'vendor', 'name', 'version'])
      .where((eb) =>
        eb.or(
          part.map((p) =>
            eb.and([eb('vendor', '=', p.vendor), eb('name', '=', p.name), eb('version', '=', p.version)]),
          ),
        ),
      )
      .execute();
    for (const r of rows) softwareIds.set(softwareKey(r.vendor, r.name, r.version), Number(r.id));
  }
  const out = new Map<string, FindingIds>();
  for (const f of findings) {
    out.set(f.findingKey, {
      deviceId: deviceIds.get(f.machineId)!,
      softwareId: softwareIds.get(softwareKey(f.softwareVendor, f.softwareName, f.softwareVersion))!,
    });
  }
  return out;
}

/** Vendor, product and version as one map key (the finding key's separator cannot occur in them unescaped). */
export function softwareKey(vendor: string, name: string, version: string): string {
  return JSON.stringify([vendor, name, version]);
}

/** The finding key of a stored finding's parts, as the model builds it. */
export function storedFindingKey(
  machineId: string,
  cveId: string,
  software: { vendor: string; name: string; version: string },
): string {
  return findingKey(machineId, cveId, software.vendor, software.name, software.version);
}

/** Whether the store holds any finding of the connector (the key's first column). */
export async function connectorHasFindings(db: Db, connectorId: number): Promise<boolean> {
  const row = await db
    .selectFrom('findings')
    .select('connectorId')
    .where('connectorId', '=', connectorId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** Whether the store holds any finding at all. */
export async function anyFindings(db: Db): Promise<boolean> {
  const row = await db.selectFrom('findings').select('connectorId').limit(1).executeTakeFirst();
  return row !== undefined;
}

/** A stored finding of a known connector: its device and software ids and its CVE. */
export interface StoredFindingPosition extends FindingIds {
  cveId: string;
}

/** A new severity and score of a stored finding. */
export interface FindingScore extends StoredFindingPosition {
  severity: number;
  score: number;
}

/**
 * Sets severity and score of a connector's stored findings, with the time of the change, in one
 * transaction: on SQLite one prepared statement a finding, on PostgreSQL one `UPDATE ... FROM unnest`.
 */
export async function writeFindingScores(
  store: Pick<Store, 'db' | 'engine'>,
  connectorId: number,
  rows: readonly FindingScore[],
  at: string,
): Promise<void> {
  await forEngine(store.engine, {
    sqlite: async (sqlite) => {
      const update = sqlite.prepare(
        'UPDATE findings SET severity = ?, score = ?, updated_at = ? WHERE connector_id = ? AND device_id = ? AND software_id = ? AND cve_id = ?',
      );
      sqlite.transaction(() => {
        for (const r of rows)
          update.run(r.severity, r.score, at, connectorId, r.deviceId, r.softwareId, r.cveId);
      })();
    },
    postgres: async () => {
      await sql`UPDATE findings AS f SET severity = v.severity, score = v.score, updated_at = ${at}
        FROM unnest(${rows.map((r) => r.deviceId)}::int[], ${rows.map((r) => r.softwareId)}::int[],
          ${rows.map((r) => r.cveId)}::text[], ${rows.map((r) => r.severity)}::int[],
          ${rows.map((r) => r.score)}::float8[]) AS v(device_id, software_id, cve_id, severity, score)
        WHERE f.connector_id = ${connectorId} AND f.device_id = v.device_id AND f.software_id = v.software_id
          AND f.cve_id = v.cve_id`.execute(store.db);
    },
  });
}

/**
 * Closes the open findings of a connector that a complete full pass did not see: those not marked with
 * `seenToken`, on devices the run listed (or devices it never knew), but not on `spareMachines`.
 */
export async function sweepUnseen(
  db: Db,
  args: {
    connectorId: number;
    seenToken: number;
    snapshotTime: string;
    at: string;
    machinesSeenInRun: number;
    spareMachines: readonly string[];
  },
): Promise<number> {
  const { connectorId } = args;
  let q = db
    .updateTable('findings')
    .set({ status: 'fixed', lastFixed: args.snapshotTime, stateTime: args.snapshotTime, updatedAt: args.at })
    .where('connectorId', '=', connectorId)
    .where('status', '=', 'open')
    .where('seenRunId', '!=', args.seenToken)
    .where('stateTime', '<', args.snapshotTime)
    // Only devices this run listed, or devices it never knew: a device a filter now leaves out
    // keeps its findings as they were instead of having them all "fixed".
    .where('deviceId', 'in', (eb) =>
      eb
        .selectFrom('findingDevices as d')
        .select('d.id')
        .where('d.connectorId', '=', connectorId)
        .where((w) =>
          w.or([
            w.exists(
              w
                .selectFrom('hostSources as h')
                .select('h.id')
                .where('h.connectorId', '=', connectorId)
                .whereRef('h.machineId', '=', 'd.machineId')
                .where('h.seenRunId', '=', args.machinesSeenInRun),
            ),
            w.not(
              w.exists(
                w
                  .selectFrom('hostSources as h')
                  .select('h.id')
                  .where('h.connectorId', '=', connectorId)
                  .whereRef('h.machineId', '=', 'd.machineId'),
              ),
            ),
          ]),
        ),
    );
  // Devices whose rows could not be read keep their findings open until a pass reads them.
  if (args.spareMachines.length > 0)
    q = q.where('deviceId', 'not in', (eb) =>
      eb
        .selectFrom('findingDevices')
        .select('id')
        .where('connectorId', '=', connectorId)
        .where('machineId', 'in', [...args.spareMachines]),
    );
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** What a change batch needs of a stored finding. */
export interface StoredFindingState {
  status: string;
  stateTime: string;
  rbacGroupId: number | null;
  lastFixed: string | null;
  reopenedCount: number;
  contentHash: string;
}

/** The stored state of the findings with these keys (ids resolved), by finding key. */
export async function findingStates(
  db: Db,
  dialect: SqlDialect,
  connectorId: number,
  keys: ReadonlyMap<string, FindingIds & { cveId: string }>,
): Promise<Map<string, StoredFindingState & StoredFindingKey>> {
  const out = new Map<string, StoredFindingState & StoredFindingKey>();
  const byIds = new Map<string, string>();
  for (const [key, k] of keys) byIds.set(`${k.deviceId}|${k.softwareId}|${k.cveId}`, key);
  const rbac = FINDING_COLUMN_LIST.find((c) => c.column === 'rbacGroupId')!;
  for (const part of chunk([...keys.values()], ID_CHUNK)) {
    const rows = await db
      .selectFrom('findings as f')
      .select([
        'f.deviceId',
        'f.softwareId',
        'f.cveId',
        'f.status',
        'f.stateTime',
        'f.lastFixed',
        'f.reopenedCount',
        'f.contentHash',
        readExpression(dialect, rbac).as('rbacGroupId'),
      ])
      // Each key whole in its own term, the connector included: SQLite then looks each one up in the
      // findings key; with the connector outside the OR it reads every finding of the connector.
      .where((eb) =>
        eb.or(
          part.map((k) =>
            eb.and([
              eb('f.connectorId', '=', connectorId),
              eb('f.deviceId', '=', k.deviceId),
              eb('f.softwareId', '=', k.softwareId),
              eb('f.cveId', '=', k.cveId),
            ]),
          ),
        ),
      )
      .execute();
    for (const r of rows) {
      const key = byIds.get(`${r.deviceId}|${r.softwareId}|${r.cveId}`);
      if (key === undefined) continue;
      out.set(key, {
        connectorId,
        deviceId: Number(r.deviceId),
        softwareId: Number(r.softwareId),
        cveId: r.cveId,
        status: r.status,
        stateTime: r.stateTime,
        lastFixed: r.lastFixed,
        reopenedCount: Number(r.reopenedCount),
        contentHash: r.contentHash,
        rbacGroupId: r.rbacGroupId === null || r.rbacGroupId === undefined ? null : Number(r.rbacGroupId),
      });
    }
  }
  return out;
}

/** The latest write time of a connector's findings (the `findings_updated` index), or undefined: none. */
export async function lastFindingWrite(db: Db, connectorId: number): Promise<string | undefined> {
  const row = await db
    .selectFrom('findings')
    .select((eb) => eb.fn.max('updatedAt').as('at'))
    .where('connectorId', '=', connectorId)
    .executeTakeFirst();
  return row?.at ?? undefined;
}

/** One open finding's weight in the host's vulnerability load, as SQL: `findingWeight` of host-risk.ts. */
const FINDING_WEIGHT = sql.raw(
  Array.from({ length: FINDING_WEIGHT_POWER }, () => '(CAST(score AS DOUBLE PRECISION) / 100)').join(' * '),
);

/** What a host's risk reads of its open findings (docs/host-risk.md). */
export interface HostOpenFindings {
  hostId: number;
  /** Distinct CVEs among the open findings. */
  openCves: number;
  /** The sum of the open findings' weights. */
  vulnerabilityLoad: number;
  /** The most severe open finding: severity first, then score (docs/data-model.md#finding). */
  topCveId: string | null;
  topSeverity: number | null;
  topScore: number | null;
}

/**
 * The open findings of every connector on the hosts `scope` selects (a subquery or a parenthesised
 * id list of host ids), summed per host; hosts without an open finding are left out.
 */
export async function openFindingsByHost(
  store: Pick<Store, 'db' | 'dialect'>,
  scope: RawBuilder<unknown>,
): Promise<HostOpenFindings[]> {
  const db = store.db.withoutPlugins();
  const found =
    store.dialect === 'sqlite'
      ? // SQLite takes bare columns from the row that holds the single max() (documented behaviour).
        await sql`SELECT host_id, COUNT(DISTINCT cve_id) AS n, SUM(${FINDING_WEIGHT}) AS vuln_load,
            MAX(severity * 1000 + score) AS k, cve_id, severity, score
          FROM findings WHERE status = 'open' AND host_id IN ${scope} GROUP BY host_id`.execute(db)
      : await sql`SELECT t.host_id, c.n, c.vuln_load, t.cve_id, t.severity, t.score FROM
          (SELECT DISTINCT ON (host_id) host_id, cve_id, severity, score FROM findings
            WHERE status = 'open' AND host_id IN ${scope} ORDER BY host_id, severity DESC, score DESC, cve_id) t
          JOIN (SELECT host_id, COUNT(DISTINCT cve_id) AS n, SUM(${FINDING_WEIGHT}) AS vuln_load FROM findings
            WHERE status = 'open' AND host_id IN ${scope} GROUP BY host_id) c ON c.host_id = t.host_id`.execute(
          db,
        );
  const orNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return (found.rows as Array<Record<string, unknown>>).map((r) => ({
    hostId: Number(r.host_id),
    openCves: Number(r.n),
    vulnerabilityLoad: Number(r.vuln_load ?? 0),
    topCveId: r.cve_id === null || r.cve_id === undefined ? null : String(r.cve_id),
    topSeverity: orNull(r.severity),
    topScore: orNull(r.score),
  }));
}

/** Hosts with a finding of the connector written at or after `since` (unchanged rows keep their updated_at). */
export async function hostIdsOfFindingsWrittenSince(
  db: Kysely<unknown>,
  connectorId: number,
  since: string,
): Promise<number[]> {
  const found = await sql<{ id: unknown }>`SELECT DISTINCT host_id AS id FROM findings
    WHERE connector_id = ${connectorId} AND updated_at >= ${since} AND host_id IS NOT NULL`.execute(db);
  return found.rows.map((r) => Number(r.id));
}

/**
 * The ids of a connector's devices, by machine id, for those of `machineIds` that have any finding
 * stored. A query of a device's findings filters on its id: the findings key starts (connector,
 * device), while a filter on the machine id reads every finding of the connector (SQLite joins the
 * devices table after it).
 */
export async function deviceIdsOf(
  db: Db,
  connectorId: number,
  machineIds: Iterable<string>,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const part of chunk([...machineIds], ID_CHUNK)) {
    const rows = await db
      .selectFrom('findingDevices')
      .select(['id', 'machineId'])
      .where('connectorId', '=', connectorId)
      .where('machineId', 'in', part)
      .execute();
    for (const r of rows) out.set(r.machineId, Number(r.id));
  }
  return out;
}
