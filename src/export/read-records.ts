import { type Expression, type Kysely, type SqlBool, sql } from 'kysely';
import { ofConnector } from '../store/connectors/connector-scope.js';
import { QueryTemplates } from '../store/db/query-template.js';
import type { Store } from '../store/db/store.js';
import { findingId } from '../store/findings/finding-id.js';
import {
  FINDING_RECORD_FIELDS,
  FINDING_STORED_FIELDS,
  findingRecords,
  unpackFindings,
} from '../store/findings/finding-repository.js';
import { parseHostIdentityKey } from '../store/hosts/host-identity-key.js';
import type { RecordKind } from './export-kinds.js';
import { type EndOfSupport, withEndOfSupport } from './finding-end-of-support.js';
import { type PortalInputs, withPortalLinks } from './host-portal-links.js';
import { presentInto, presentRecord } from './present-record.js';
import { withProfileCounts, withProfiles } from './profile-records.js';

/** Rows per keyset page: memory stays flat whatever the table size (exports are streamed). */
const PAGE = 2_000;

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

/** The store's query builder without its tables' types, for reads that name tables chosen at run time. */
function anyDb(store: Store): AnyDb {
  return store.db as unknown as AnyDb;
}

/**
 * What a caller has already read of one host, which the enrichment of a page whose rows all belong to
 * that host takes instead of reading it again (a host's details read its sources and profiles anyway).
 */
export interface KnownHost {
  id: number;
  /** The host's name, for records that name their host. */
  name?: unknown;
  /** Every source of the host, in id order (its `host_sources` rows). */
  sources?: Record<string, unknown>[];
  /** The names of the profiles the host belongs to, as {@link profileNames} gives them. */
  profileNames?: string[];
  /** What the portal links of the host's connectors are made from, by connector id. */
  portals?: ReadonlyMap<number, PortalInputs>;
  /**
   * End of support of installed software of the host already read, keyed by installOf
   * (finding-end-of-support.ts): some or all; a promise while they are read beside the records.
   */
  installs?: ReadonlyMap<string, EndOfSupport> | Promise<ReadonlyMap<string, EndOfSupport>>;
}

/** `known`, when every row is of its host (`column` holds the host's id): what enrichment may take from it. */
function knownFor(
  known: KnownHost | undefined,
  rows: Record<string, unknown>[],
  column: 'id' | 'hostId',
): KnownHost | undefined {
  return known && rows.every((r) => Number(r[column]) === known.id) ? known : undefined;
}

/** Records read through a repository rather than from their table. */
interface RecordSource {
  /** The repository's records, as a query named after the table. */
  query: (store: Store) => ReturnType<typeof findingRecords>;
  /** The columns a read selects from it. */
  columns: readonly string[];
  /** The rows read, as rows of the query's every column (in its order). */
  rows: (selected: Record<string, unknown>[]) => Record<string, unknown>[];
}

interface KindSpec {
  table: string;
  /** Where the records are read from, when not the table itself (findings: their repository). */
  from?: RecordSource;
  /** The fields of a record, when not the table's columns. */
  fields?: readonly string[];
  /** Fields `enrich` sets, whatever the row holds: the database cannot filter or sort on them. */
  enriched?: readonly string[];
  /** Keyset columns, in order; together unique. */
  key: string[];
  /**
   * Adds joined columns (e.g. the host's Defender fields) to a page of rows, in place: the rows are
   * the page's own, fresh from the driver, and a copy of every row per step was the largest cost
   * of a hosts page after the database (a host row with its Defender fields has about 90 fields).
   */
  enrich?: (
    store: Store,
    rows: Record<string, unknown>[],
    known?: KnownHost,
  ) => Promise<Record<string, unknown>[]>;
  /** The id of a record whose table has no id column (findings: their key), for pages of the API. */
  recordId?: (row: Record<string, unknown>) => string;
}

/** What a kind's records are selected from: its table, or its repository's records named after it. */
function sourceOf(store: Store, spec: KindSpec): string {
  // A repository's records come as an aliased query named after the table, which Kysely takes alike.
  return (spec.from ? spec.from.query(store) : spec.table) as string;
}

/** A read of a kind's rows, to which a page or an export adds its conditions; see {@link rowsRead}. */
function selectRows(store: Store, spec: KindSpec) {
  const q = anyDb(store).selectFrom(sourceOf(store, spec));
  return spec.from ? q.select(spec.from.columns.map((c) => `${spec.table}.${c}`)) : q.selectAll();
}

/** The rows a {@link selectRows} query returned, as rows of the kind's every column. */
function rowsRead(spec: KindSpec, selected: Record<string, unknown>[]): Record<string, unknown>[] {
  return spec.from ? spec.from.rows(selected) : selected;
}

const SPECS: Record<RecordKind, KindSpec> = {
  hosts: {
    table: 'hosts',
    key: ['id'],
    enrich: async (store, rows, known) => {
      const mine = knownFor(known, rows, 'id');
      const db = anyDb(store);
      return withPortalLinks(
        store,
        await withProfiles(db, await withDefenderFields(db, rows, mine?.sources), mine?.profileNames),
        mine?.portals,
      );
    },
  },
  findings: {
    table: 'findings',
    from: {
      query: (store) => findingRecords(store.db, store.dialect),
      columns: FINDING_STORED_FIELDS,
      rows: unpackFindings,
    },
    fields: FINDING_RECORD_FIELDS,
    enriched: ['endOfSupportStatus', 'endOfSupportDate'],
    key: ['connectorId', 'deviceId', 'softwareId', 'cveId'],
    enrich: async (store, rows, known) =>
      withEndOfSupport(
        anyDb(store),
        await withHostNames(store, rows, known),
        knownFor(known, rows, 'hostId')?.installs,
      ),
    recordId: (row) =>
      findingId({
        connectorId: Number(row.connectorId),
        deviceId: Number(row.deviceId),
        softwareId: Number(row.softwareId),
        cveId: String(row.cveId),
      }),
  },
  vulnerabilities: { table: 'vulnerabilityDefinitions', key: ['connectorId', 'id'] },
  software: { table: 'software', key: ['connectorId', 'id'] },
  'installed-software': { table: 'installedSoftware', key: ['id'], enrich: withHostNames },
  recommendations: { table: 'recommendations', key: ['connectorId', 'id'] },
  alerts: { table: 'alerts', key: ['connectorId', 'id'] },
  runs: { table: 'syncRuns', key: ['id'] },
  profiles: {
    table: 'profiles',
    key: ['id'],
    enrich: (store, rows) => withProfileCounts(anyDb(store), rows),
  },
  actions: { table: 'machineActions', key: ['id'] },
  audit: { table: 'auditLog', key: ['id'] },
};

/** The table a kind's records come from (camelCase, as Kysely names it). */
export function kindTable(kind: RecordKind): string {
  return SPECS[kind].table;
}

/** A sort of a page: a column of the kind's table, ascending or descending; missing values last. */
export interface PageSort {
  column: string;
  descending: boolean;
  /** The column is declared NOT NULL: there is no run of rows without a value to read after the others. */
  neverNull?: boolean;
}

/** Where a page starts: after the row with these sort and key values (keyset paging). */
export type PagePosition = unknown[];

export interface PageRequest {
  /**
   * Rows whose columns (camelCase, of the kind's records) equal these values. Unlike `where`, a read
   * with these alone is compiled once per shape and run with new values (store/db/query-template.ts):
   * what a page of one host's rows, or a record by its key, should use.
   */
  equals?: Record<string, string | number>;
  /** Rows of the kind's table to read (a compiled query); all when absent. */
  where?: Expression<SqlBool>;
  /** What the caller has already read of the one host all the page's rows belong to. */
  knownHost?: KnownHost;
  /** Applied to each presented record after `where`: a query that the database evaluated only in part. */
  predicate?: (record: Record<string, unknown>) => boolean;
  sort?: PageSort;
  after?: PagePosition;
  limit: number;
}

/** What the SQL of one read of a page depends on, besides its values and a request's `where`. */
interface PageReadShape {
  kind: RecordKind;
  /** The columns compared with values, in the order of the read's values. */
  equals: readonly string[];
  sort: PageSort | undefined;
  /** The run read: rows with a sort value, or rows without one (all rows, when unsorted). */
  run: 'values' | 'nulls';
  /** How many values the position the read starts after has; 0 when it starts at its run's start. */
  after: number;
}

/**
 * A read of a page: the rows of the kind equal to the `equals` values (in the shape's order), then
 * the position's values, then the number of rows to read, as `values`; see readRecordPage for the order.
 */
function pageRead(store: Store, shape: PageReadShape, values: unknown[], where?: Expression<SqlBool>) {
  const spec = SPECS[shape.kind];
  const { sort, run } = shape;
  let q = selectRows(store, spec);
  shape.equals.forEach((column, i) => {
    q = q.where(`${spec.table}.${column}`, '=', values[i]);
  });
  if (where) q = q.where(where as never);
  if (sort) {
    const ref = sql.ref(`${spec.table}.${sort.column}`);
    q = q.where(run === 'values' ? sql<SqlBool>`${ref} is not null` : sql<SqlBool>`${ref} is null`);
  }
  if (shape.after > 0) {
    const after = values.slice(shape.equals.length, shape.equals.length + shape.after);
    const keyValues = sort ? after.slice(1) : after;
    q = q.where(
      afterPosition(spec.table, spec.key, keyValues, run === 'values' ? sort : undefined, after[0]) as never,
    );
  }
  const descending = run === 'values' && sort?.descending === true;
  if (run === 'values' && sort) q = q.orderBy(`${spec.table}.${sort.column}`, descending ? 'desc' : 'asc');
  for (const k of spec.key) q = q.orderBy(`${spec.table}.${k}`, descending ? 'desc' : 'asc');
  return q.limit(values[values.length - 1] as number);
}

/** Page reads without a `where`, each shape compiled once. */
const PAGE_READS = new QueryTemplates<PageReadShape>(
  (s) =>
    [s.kind, s.equals.join(','), s.sort?.column ?? '', s.sort?.descending ?? '', s.run, s.after].join('|'),
  (store, shape, values) => pageRead(store, shape, values),
);

/**
 * One page of a kind's records in (sort, key) order, as readRecords presents them (with an `id` where
 * the kind's key is not one column, see KindSpec.recordId), and the position
 * after its last record when more may follow. The position holds the sort value and the key of the
 * last row, so page N costs what page 1 costs when the order has an index (keyset paging,
 * docs/api.md#lists).
 *
 * A sorted list is read in two runs, each an index range: the rows with a sort value, in the sort's
 * direction with ties broken by the key in that same direction (so an index on (column, key) is
 * walked forwards or backwards without sorting), then the rows without one, in key order. Neither
 * database then needs its own NULLS FIRST/LAST rule to match an index.
 */
export async function readRecordPage(
  store: Store,
  kind: RecordKind,
  request: PageRequest,
): Promise<{ records: Record<string, unknown>[]; next: PagePosition | null }> {
  const spec = SPECS[kind];
  const sort = request.sort;
  const equals = Object.entries(request.equals ?? {});
  const records: Record<string, unknown>[] = [];
  let lastReturned: PagePosition | undefined;
  // Where the next read starts: in the run of rows with a sort value or in the run without one, after a key.
  let run: 'values' | 'nulls' =
    sort && (request.after === undefined || request.after[0] !== null) ? 'values' : 'nulls';
  let after = request.after;
  // A query the database evaluated only in part reads more rows per round trip.
  const batch = request.predicate ? Math.max(request.limit * 2, 200) : request.limit + 1;
  for (;;) {
    const shape: PageReadShape = {
      kind,
      equals: equals.map(([column]) => column),
      sort,
      run,
      after: after?.length ?? 0,
    };
    const values = [...equals.map(([, value]) => value), ...(after ?? []), batch];
    const selected = request.where
      ? await pageRead(store, shape, values, request.where).execute()
      : await PAGE_READS.run(store, shape, values);
    const raw = rowsRead(spec, selected as Record<string, unknown>[]);
    const rows = spec.enrich && raw.length > 0 ? await spec.enrich(store, raw, request.knownHost) : raw;
    const positionOf = (row: Record<string, unknown>): PagePosition => [
      ...(sort ? [run === 'values' ? (row[sort.column] ?? null) : null] : []),
      ...spec.key.map((k) => row[k] ?? null),
    ];
    for (let i = 0; i < rows.length; i++) {
      const record = presentRecord(rows[i]!, spec.recordId?.(raw[i]!));
      if (request.predicate && !request.predicate(record)) continue;
      // One more match than the page holds: there is a next page, starting after the last one returned.
      if (records.length === request.limit) return { records, next: lastReturned! };
      records.push(record);
      lastReturned = positionOf(raw[i]!);
    }
    if (raw.length === batch) after = positionOf(raw[raw.length - 1]!);
    else if (run === 'values' && !sort?.neverNull) {
      // The rows with a sort value are done: the rows without one follow, from the first key.
      run = 'nulls';
      after = undefined;
    } else return { records, next: null };
  }
}

/**
 * Rows strictly after a position in the order readRecordPage reads: with a sort value, (value, key)
 * beyond the position's in the sort's direction, written with a plain bound on the value so that
 * both databases take it as an index range; without one (or unsorted), a key beyond the position's.
 */
function afterPosition(
  table: string,
  key: string[],
  keyPosition: unknown[],
  sort: PageSort | undefined,
  value: unknown,
) {
  const keyRefs = sql.join(key.map((k) => sql.ref(`${table}.${k}`)));
  const keyValues = sql.join(keyPosition);
  const beyondKey = (descending: boolean) =>
    descending ? sql<SqlBool>`(${keyRefs}) < (${keyValues})` : sql<SqlBool>`(${keyRefs}) > (${keyValues})`;
  if (!sort) return beyondKey(false);
  const ref = sql.ref(`${table}.${sort.column}`);
  return sort.descending
    ? sql<SqlBool>`(${ref} <= ${value} and (${ref} < ${value} or (${ref} = ${value} and ${beyondKey(true)})))`
    : sql<SqlBool>`(${ref} >= ${value} and (${ref} > ${value} or (${ref} = ${value} and ${beyondKey(false)})))`;
}

/**
 * What to count a kind's rows on: its table, or its records when the kind is read through a
 * repository (findings) and the filter reads more than the table's own columns. The repository's
 * joins add columns to each row, never rows, and drop none (every finding has its device and software).
 */
export function countSourceOf(store: Store, kind: RecordKind, onTable: boolean) {
  const spec = SPECS[kind];
  return onTable ? spec.table : sourceOf(store, spec);
}

/** Whether a kind's records come through a repository, with columns its table does not have. */
export function readThroughRepository(kind: RecordKind): boolean {
  return SPECS[kind].from !== undefined;
}

/** The key columns of a kind's table, in order (together unique). */
export function kindKey(kind: RecordKind): readonly string[] {
  return SPECS[kind].key;
}

/** The columns of a kind's table itself (camelCase), as the database has them. */
export async function tableColumns(store: Store, kind: RecordKind): Promise<Set<string>> {
  return new Set((await introspectedColumns(store, kind)).map((c) => camelCase(c.name)));
}

/** The columns of a kind's table declared NOT NULL (camelCase): a sort on one has no run of missing values. */
export async function notNullTableColumns(store: Store, kind: RecordKind): Promise<Set<string>> {
  const columns = await introspectedColumns(store, kind);
  return new Set(columns.filter((c) => !c.isNullable).map((c) => camelCase(c.name)));
}

/** The columns of a kind's table as the database describes them. */
async function introspectedColumns(store: Store, kind: RecordKind) {
  const tables = await store.db.introspection.getTables();
  return tables.find((t) => camelCase(t.name) === SPECS[kind].table)?.columns ?? [];
}

/** The columns of a kind's records (camelCase): the fields a database can filter and sort on. */
export async function kindColumns(store: Store, kind: RecordKind): Promise<Set<string>> {
  const { fields, enriched = [] } = SPECS[kind];
  if (fields) return new Set(fields.filter((f) => !enriched.includes(f)));
  return tableColumns(store, kind);
}

/**
 * Reads every record of a kind in key order, a page at a time, optionally for one connector. Hosts
 * carry their Defender fields ("Defender ..." fields in exports) with a `defender` prefix.
 */
export async function* readRecords(
  store: Store,
  kind: RecordKind,
  filter: {
    connectorId?: number;
    where?: (row: Record<string, unknown>) => boolean;
    /** Rows of the kind's table to read, evaluated by the database (a compiled query). */
    sqlWhere?: Expression<SqlBool>;
  } = {},
): AsyncGenerator<Record<string, unknown>> {
  const spec = SPECS[kind];
  let after: unknown[] | undefined;
  for (;;) {
    let q = selectRows(store, spec);
    if (filter.connectorId !== undefined) q = q.where(ofConnector(spec.table, filter.connectorId));
    if (filter.sqlWhere) q = q.where(filter.sqlWhere as never);
    if (after) {
      const values = after;
      q =
        spec.key.length > 2
          ? q.where(
              sql<boolean>`(${sql.join(spec.key.map((k) => sql.ref(`${spec.table}.${k}`)))}) > (${sql.join(values)})`,
            )
          : spec.key.length === 1
            ? q.where(spec.key[0]!, '>', values[0])
            : q.where(({ or, and, eb }) =>
                or([
                  eb(spec.key[0]!, '>', values[0]),
                  and([eb(spec.key[0]!, '=', values[0]), eb(spec.key[1]!, '>', values[1])]),
                ]),
              );
    }
    for (const k of spec.key) q = q.orderBy(k);
    let rows = rowsRead(spec, (await q.limit(PAGE).execute()) as Record<string, unknown>[]);
    if (rows.length === 0) return;
    after = spec.key.map((k) => rows[rows.length - 1]![k]);
    const complete = rows.length === PAGE;
    if (spec.enrich) rows = await spec.enrich(store, rows);
    for (const row of rows) {
      const record = presentRecord(row);
      if (!filter.where || filter.where(record)) yield record;
    }
    if (!complete) return;
  }
}

/**
 * The columns of a `kind` export, in the order its records carry them, without reading a record: the
 * header of every CSV export, so it does not depend on which record comes first. A record is the table's row, enriched and presented as readRecords
 * does; a host carries its Defender fields as withDefenderFields adds them for a host with a source.
 */
export async function exportColumns(store: Store, kind: RecordKind): Promise<string[]> {
  const spec = SPECS[kind];
  const tables = await store.db.introspection.getTables();
  const nulls = (table: string): Record<string, unknown> => {
    const found = tables.find((t) => camelCase(t.name) === table);
    return Object.fromEntries((found?.columns ?? []).map((c) => [camelCase(c.name), null]));
  };
  let template = spec.fields ? Object.fromEntries(spec.fields.map((f) => [f, null])) : nulls(spec.table);
  if (kind === 'hosts') {
    const { id: _id, hostId: _h, connectorId: _c, ...fields } = nulls('hostSources');
    template = {
      ...template,
      connectorId: null,
      mergedIntoHostId: null,
      ...presentInto({}, fields, 'defender'),
    };
  }
  const [enriched] = spec.enrich ? await spec.enrich(store, [template]) : [template];
  return Object.keys(presentRecord(enriched ?? template));
}

function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * Hosts with their connector and Defender fields (`defender` prefix) and `mergedIntoHostId`. A host
 * several connectors report shows its most recently seen source's fields, as its own columns do
 * (README, Identification rules). A `merged` host shows the fields of the machine record that created
 * it, which now sits on its survivor: `mergedIntoHostId` names that host.
 */
async function withDefenderFields(
  db: AnyDb,
  rows: Record<string, unknown>[],
  knownSources?: Record<string, unknown>[],
) {
  const sources =
    knownSources ??
    (await db
      .selectFrom('hostSources')
      .selectAll()
      .where(
        'hostId',
        'in',
        rows.map((r) => r.id),
      )
      .orderBy('id')
      .execute());
  const byHost = new Map<unknown, Record<string, unknown>>();
  for (const s of sources) {
    const current = byHost.get(Number(s.hostId));
    if (!current || String(s.lastSeen ?? '') > String(current.lastSeen ?? ''))
      byHost.set(Number(s.hostId), s);
  }
  const mergedRecords = rows
    .filter((r) => r.status === 'merged' && !byHost.has(Number(r.id)))
    .map((r) => ({ hostId: Number(r.id), record: parseHostIdentityKey(String(r.identityKey ?? '')) }))
    .filter((m) => m.record !== null);
  const mergedSource = new Map<number, Record<string, unknown>>();
  for (const connectorId of new Set(mergedRecords.map((m) => m.record!.connectorId))) {
    const mine = mergedRecords.filter((m) => m.record!.connectorId === connectorId);
    const found = await db
      .selectFrom('hostSources')
      .selectAll()
      .where('connectorId', '=', connectorId)
      .where(
        'machineId',
        'in',
        mine.map((m) => m.record!.machineId),
      )
      .execute();
    const byMachine = new Map(found.map((s) => [String(s.machineId), s]));
    for (const m of mine) {
      const s = byMachine.get(m.record!.machineId);
      if (s) mergedSource.set(m.hostId, s);
    }
  }
  for (const r of rows) {
    const merged = mergedSource.get(Number(r.id));
    const s = byHost.get(Number(r.id)) ?? merged;
    if (!s) {
      r.mergedIntoHostId = null;
      continue;
    }
    r.connectorId = s.connectorId;
    r.mergedIntoHostId = merged ? Number(s.hostId) : null;
    presentInto(r, s, 'defender', SOURCE_LINKS);
  }
  return rows;
}

/** A host source's own id and the ids that link it, which a host's Defender fields leave out. */
const SOURCE_LINKS: ReadonlySet<string> = new Set(['id', 'hostId', 'connectorId']);

async function withHostNames(store: Store, rows: Record<string, unknown>[], known?: KnownHost) {
  const ids = [...new Set(rows.map((r) => r.hostId).filter((v) => v !== null && v !== undefined))];
  const names = new Map<number, unknown>();
  const mine = knownFor(known, rows, 'hostId');
  if (mine && mine.name !== undefined) names.set(mine.id, mine.name);
  else if (ids.length > 0) {
    for (const h of await anyDb(store)
      .selectFrom('hosts')
      .select(['id', 'name'])
      .where('id', 'in', ids)
      .execute()) {
      names.set(Number(h.id), h.name);
    }
  }
  for (const r of rows) r.hostName = r.hostId === null ? null : (names.get(Number(r.hostId)) ?? null);
  return rows;
}
