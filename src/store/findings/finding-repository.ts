import { type ExpressionBuilder, type Kysely, type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';
import type { FindingColumn, FindingValueType } from '../../normalize/finding-columns.js';
import { FINDING_COLUMN_LIST } from '../../normalize/finding-columns.js';
import { findingKey } from '../../normalize/finding-key.js';
import type { NormalizedFinding } from '../../normalize/model.js';
import { chunk } from '../db/chunk.js';
import type { Database } from '../db/schema.js';
import type { SqlDialect } from '../db/sql-dialect.js';
import type { Store } from '../db/store.js';
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
  findings: FindingRecord & FindingPosition;
}

/** Where a finding sits in the table's order (device, then software version, then CVE): for keyset paging. */
export interface FindingPosition {
  deviceId: number;
  softwareId: number;
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

/**
 * Every finding as a {@link FindingRecord} (plus its position), to select from as `findings`:
 * `db.selectFrom(findingRecords(db, dialect))`. Filters on real columns reach the table's key and
 * index: both databases fold this into the outer query.
 */
export function findingRecords(db: Db, dialect: SqlDialect) {
  return db
    .selectFrom('findings as f')
    .innerJoin('findingDevices as d', 'd.id', 'f.deviceId')
    .innerJoin('findingSoftware as s', 's.id', 'f.softwareId')
    .select([
      'f.deviceId as deviceId',
      'f.softwareId as softwareId',
      ...FINDING_COLUMN_LIST.map((c) => readExpression(dialect, c).as(c.column)),
    ])
    .$castTo<FindingRecord & FindingPosition>()
    .as('findings');
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
  const deviceIds = new Map<string, number>();
  for (const part of chunk(machines, ID_CHUNK)) {
    await db
      .insertInto('findingDevices')
      .values(part.map((machineId) => ({ connectorId, machineId })))
      .onConflict((oc) => oc.columns(['connectorId', 'machineId']).doNothing())
      .execute();
    const rows = await db
      .selectFrom('findingDevices')
      .select(['id', 'machineId'])
      .where('connectorId', '=', connectorId)
      .where('machineId', 'in', part)
      .execute();
    for (const r of rows) deviceIds.set(r.machineId, Number(r.id));
  }
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
  store: Pick<Store, 'db' | 'sqlite'>,
  connectorId: number,
  rows: readonly FindingScore[],
  at: string,
): Promise<void> {
  const sqlite = store.sqlite;
  if (sqlite) {
    const update = sqlite.prepare(
      'UPDATE findings SET severity = ?, score = ?, updated_at = ? WHERE connector_id = ? AND device_id = ? AND software_id = ? AND cve_id = ?',
    );
    sqlite.transaction(() => {
      for (const r of rows)
        update.run(r.severity, r.score, at, connectorId, r.deviceId, r.softwareId, r.cveId);
    })();
    return;
  }
  await sql`UPDATE findings AS f SET severity = v.severity, score = v.score, updated_at = ${at}
    FROM unnest(${rows.map((r) => r.deviceId)}::int[], ${rows.map((r) => r.softwareId)}::int[],
      ${rows.map((r) => r.cveId)}::text[], ${rows.map((r) => r.severity)}::int[],
      ${rows.map((r) => r.score)}::float8[]) AS v(device_id, software_id, cve_id, severity, score)
    WHERE f.connector_id = ${connectorId} AND f.device_id = v.device_id AND f.software_id = v.software_id
      AND f.cve_id = v.cve_id`.execute(store.db);
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
      .where('f.connectorId', '=', connectorId)
      .where((eb) =>
        eb.or(
          part.map((k) =>
            eb.and([
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
