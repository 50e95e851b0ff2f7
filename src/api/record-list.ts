import { createHash } from 'node:crypto';
import type { Expression, SqlBool } from 'kysely';
import type { RecordKind } from '../export/export-kinds.js';
import { QUERY_SPECS } from '../export/query-fields.js';
import {
  kindColumns,
  kindTable,
  notNullTableColumns,
  type PageSort,
  readRecordPage,
  readThroughRepository,
  tableColumns,
} from '../export/read-records.js';
import type { Store } from '../store/db/store.js';
import { compileQueryToSql } from '../store/query/query-to-sql.js';
import { badRequest } from './api-error.js';
import { type CountRequest, type ListTotal, listTotal } from './list-total.js';

/** What a list request asks for (docs/api.md#lists). */
export interface ListRequest {
  query?: string | undefined;
  sort?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface ListPage {
  items: Record<string, unknown>[];
  nextCursor: string | null;
  total: number;
  /**
   * Present (false) when `total` is not exact: an estimate (too many matches to count, list-total.ts),
   * or a count of a superset (the query has fields the database cannot evaluate).
   */
  totalExact?: false;
}

/** A compiled list filter: the database part, and the evaluator when the database part is wider. */
export interface ListFilter {
  where?: Expression<SqlBool>;
  predicate?: (record: Record<string, unknown>) => boolean;
  exact: boolean;
  /** What the list's total counts: on the kind's table alone when the filter reads only its columns. */
  count: CountRequest;
}

const columnsCache = new WeakMap<Store, Map<string, Set<string>>>();

async function cachedColumns(
  store: Store,
  key: string,
  read: () => Promise<Set<string>>,
): Promise<Set<string>> {
  const byKind = columnsCache.get(store) ?? new Map<string, Set<string>>();
  columnsCache.set(store, byKind);
  const columns = byKind.get(key) ?? (await read());
  byKind.set(key, columns);
  return columns;
}

function columnsOf(store: Store, kind: RecordKind): Promise<Set<string>> {
  return cachedColumns(store, kind, () => kindColumns(store, kind));
}

/** Compiles `query` for a kind; a bad query throws QuerySyntaxError (a 400 naming `query`). */
export async function listFilter(
  store: Store,
  kind: RecordKind,
  query: string | undefined,
): Promise<ListFilter> {
  if (query === undefined || query.trim() === '') return { exact: true, count: { onTable: true } };
  const compile = (columns: Set<string>) =>
    compileQueryToSql(query, QUERY_SPECS[kind], { table: kindTable(kind), columns, dialect: store.dialect });
  const compiled = compile(await columnsOf(store, kind));
  // Compiled against the table's own columns, a query that stays exact reads nothing the joins add.
  const onTable = readThroughRepository(kind)
    ? compile(await cachedColumns(store, `${kind} table`, () => tableColumns(store, kind)))
    : compiled;
  return {
    where: compiled.where,
    ...(compiled.exact ? {} : { predicate: compiled.predicate }),
    exact: compiled.exact,
    count: onTable.exact
      ? { where: onTable.where, onTable: true }
      : { where: compiled.where, onTable: false },
  };
}

/** `field` or `-field`: a query field or a column of the kind's table; descending with `-`. */
async function sortOf(
  store: Store,
  kind: RecordKind,
  sort: string | undefined,
): Promise<PageSort | undefined> {
  if (sort === undefined || sort === '') return undefined;
  const descending = sort.startsWith('-');
  const name = descending ? sort.slice(1) : sort;
  const columns = await columnsOf(store, kind);
  const fields = QUERY_SPECS[kind].fields;
  const byField = Object.entries(fields).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1]?.field;
  const column = byField && columns.has(byField) ? byField : columns.has(name) ? name : undefined;
  if (!column) {
    const sortable = Object.entries(fields)
      .filter(([, f]) => f.field && columns.has(f.field))
      .map(([k]) => k);
    throw badRequest('querystring.sort', `cannot sort by "${name}"; sortable: ${sortable.join(', ')}`);
  }
  const notNull = await cachedColumns(store, `${kind} not null`, () => notNullTableColumns(store, kind));
  return { column, descending, neverNull: notNull.has(column) };
}

/** Cursors name the sort and query they page through: reusing one with another sort is a 400. */
function signature(kind: string, sort: string | undefined, query: string | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify([kind, sort ?? '', query ?? '']))
    .digest('base64url')
    .slice(0, 12);
}

/** Where the next page starts, and the total of the first page (later pages do not count again). */
interface Cursor {
  position: unknown[];
  total: ListTotal;
}

function encodeCursor(sig: string, cursor: Cursor): string {
  const { position, total } = cursor;
  return Buffer.from(JSON.stringify({ s: sig, p: position, t: total.total, x: total.exact })).toString(
    'base64url',
  );
}

function decodeCursor(sig: string, cursor: string): Cursor {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      s?: unknown;
      p?: unknown;
      t?: unknown;
      x?: unknown;
    };
    if (
      parsed.s === sig &&
      Array.isArray(parsed.p) &&
      parsed.p.every((v) => v === null || ['string', 'number'].includes(typeof v)) &&
      Number.isSafeInteger(parsed.t) &&
      typeof parsed.x === 'boolean'
    )
      return { position: parsed.p, total: { total: parsed.t as number, exact: parsed.x } };
  } catch {}
  throw badRequest(
    'querystring.cursor',
    'not a cursor of this list with this query and sort; start again without it',
  );
}

/**
 * One page of a list: the kind's records (as `mdec export` writes them) matching the query, in the
 * sort order then key order, after the cursor; keyset paging, so any page costs what the first does.
 * The total is counted for the first page (list-total.ts) and carried by the cursor to the next ones.
 */
export async function readList(store: Store, kind: RecordKind, request: ListRequest): Promise<ListPage> {
  const filter = await listFilter(store, kind, request.query);
  const sort = await sortOf(store, kind, request.sort);
  const sig = signature(kind, request.sort, request.query);
  const after = request.cursor ? decodeCursor(sig, request.cursor) : undefined;
  const [page, total] = await Promise.all([
    readRecordPage(store, kind, {
      limit: request.limit,
      ...(filter.where ? { where: filter.where } : {}),
      ...(filter.predicate ? { predicate: filter.predicate } : {}),
      ...(sort ? { sort } : {}),
      ...(after ? { after: after.position } : {}),
    }),
    after ? after.total : listTotal(store, kind, filter.count, request.query?.trim() ?? ''),
  ]);
  return {
    items: page.records,
    nextCursor: page.next ? encodeCursor(sig, { position: page.next, total }) : null,
    // An estimate never says fewer than this page shows.
    total: total.exact ? total.total : Math.max(total.total, page.records.length + (page.next ? 1 : 0)),
    ...(filter.exact && total.exact ? {} : { totalExact: false as const }),
  };
}
