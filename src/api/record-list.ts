import { createHash } from 'node:crypto';
import type { Expression, SqlBool } from 'kysely';
import type { RecordKind } from '../export/export-kinds.js';
import { QUERY_SPECS } from '../export/query-fields.js';
import {
  countRecords,
  kindColumns,
  kindTable,
  type PageSort,
  readRecordPage,
} from '../export/read-records.js';
import type { Store } from '../store/db/store.js';
import { compileQueryToSql } from '../store/query/query-to-sql.js';
import { badRequest } from './api-error.js';

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
  /** Present (false) when `total` counts a superset: the query has fields the database cannot evaluate. */
  totalExact?: false;
}

/** A compiled list filter: the database part, and the evaluator when the database part is wider. */
export interface ListFilter {
  where?: Expression<SqlBool>;
  predicate?: (record: Record<string, unknown>) => boolean;
  exact: boolean;
}

const columnsCache = new WeakMap<Store, Map<RecordKind, Set<string>>>();

async function columnsOf(store: Store, kind: RecordKind): Promise<Set<string>> {
  const byKind = columnsCache.get(store) ?? new Map<RecordKind, Set<string>>();
  columnsCache.set(store, byKind);
  const columns = byKind.get(kind) ?? (await kindColumns(store, kind));
  byKind.set(kind, columns);
  return columns;
}

/** Compiles `query` for a kind; a bad query throws QuerySyntaxError (a 400 naming `query`). */
export async function listFilter(
  store: Store,
  kind: RecordKind,
  query: string | undefined,
): Promise<ListFilter> {
  if (query === undefined || query.trim() === '') return { exact: true };
  const compiled = compileQueryToSql(query, QUERY_SPECS[kind], {
    table: kindTable(kind),
    columns: await columnsOf(store, kind),
    dialect: store.dialect,
  });
  return {
    where: compiled.where,
    ...(compiled.exact ? {} : { predicate: compiled.predicate }),
    exact: compiled.exact,
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
  return { column, descending };
}

/** Cursors name the sort and query they page through: reusing one with another sort is a 400. */
function signature(kind: string, sort: string | undefined, query: string | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify([kind, sort ?? '', query ?? '']))
    .digest('base64url')
    .slice(0, 12);
}

function encodeCursor(sig: string, position: unknown[]): string {
  return Buffer.from(JSON.stringify({ s: sig, p: position })).toString('base64url');
}

function decodeCursor(sig: string, cursor: string): unknown[] {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      s?: unknown;
      p?: unknown;
    };
    if (
      parsed.s === sig &&
      Array.isArray(parsed.p) &&
      parsed.p.every((v) => v === null || ['string', 'number'].includes(typeof v))
    )
      return parsed.p;
  } catch {}
  throw badRequest(
    'querystring.cursor',
    'not a cursor of this list with this query and sort; start again without it',
  );
}

/**
 * One page of a list: the kind's records (as `mdec export` writes them) matching the query, in the
 * sort order then key order, after the cursor; keyset paging, so any page costs what the first does.
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
      ...(after ? { after } : {}),
    }),
    countRecords(store, kind, filter.where),
  ]);
  return {
    items: page.records,
    nextCursor: page.next ? encodeCursor(sig, page.next) : null,
    total,
    ...(filter.exact ? {} : { totalExact: false as const }),
  };
}
