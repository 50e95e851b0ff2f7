import { CompiledQuery, type Expression, type Kysely, type SqlBool, sql } from 'kysely';
import type { RecordKind } from '../export/export-kinds.js';
import { countSourceOf, kindKey, kindTable } from '../export/read-records.js';
import type { Store } from '../store/db/store.js';

/**
 * The `total` of a list (docs/api.md#lists): exact when counting costs about what a page costs,
 * otherwise an estimate, flagged as one. Counting every match of a query over millions of findings
 * costs seconds (and on SQLite it holds the server's one thread), far more than the page it goes with.
 */
export interface ListTotal {
  total: number;
  exact: boolean;
}

/** What a list counts: the filter, and whether it reads only columns of the kind's table. */
export interface CountRequest {
  where?: Expression<SqlBool> | undefined;
  onTable: boolean;
}

/** Matches counted one by one; a list with more gets an estimate. */
export const EXACT_COUNT_LIMIT = 10_000;
/** An estimate is reused this long for the same list and query (every client paging one list). */
const ESTIMATE_TTL_MS = 30_000;
/** Rows of the table (in key order) a SQLite estimate applies the filter to. */
const SAMPLE_ROWS = 10_000;

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

interface Cached {
  at: number;
  value: Promise<number>;
}
const estimates = new WeakMap<Store, Map<string, Cached>>();
const tableSizes = new WeakMap<Store, Map<string, Cached>>();

/** Entries per store beyond which the oldest are dropped (distinct queries are few in practice). */
const CACHE_ENTRIES = 500;

/** A value computed within the last {@link ESTIMATE_TTL_MS}, if any. */
function fresh(caches: WeakMap<Store, Map<string, Cached>>, store: Store, key: string) {
  const hit = caches.get(store)?.get(key);
  return hit && Date.now() - hit.at < ESTIMATE_TTL_MS ? hit.value : undefined;
}

function cached(
  caches: WeakMap<Store, Map<string, Cached>>,
  store: Store,
  key: string,
  compute: () => Promise<number>,
): Promise<number> {
  const known = fresh(caches, store, key);
  if (known) return known;
  const byKey = caches.get(store) ?? new Map<string, Cached>();
  caches.set(store, byKey);
  const value = compute();
  // A failed computation is not kept: the next request tries again.
  value.catch(() => byKey.delete(key));
  byKey.delete(key);
  byKey.set(key, { at: Date.now(), value });
  if (byKey.size > CACHE_ENTRIES) byKey.delete(byKey.keys().next().value!);
  return value;
}

/**
 * The total of a list: the matches counted up to {@link EXACT_COUNT_LIMIT} (exact when there are no
 * more), else an estimate: the planner's row estimate on PostgreSQL; on SQLite, which keeps no
 * statistics, the share of matches among the first rows of the table times the table's size.
 * Estimates are kept for a while per list and query (`queryKey`); while one is kept, the list is
 * not counted again (a list with more matches than the limit seldom drops below it within seconds).
 */
export async function listTotal(
  store: Store,
  kind: RecordKind,
  count: CountRequest,
  queryKey: string,
  /** Matches counted one by one at most (a smaller one in tests). */
  limit = EXACT_COUNT_LIMIT,
): Promise<ListTotal> {
  const db = store.db as unknown as AnyDb;
  const key = `${kind}\u0000${count.onTable}\u0000${limit}\u0000${queryKey}`;
  const known = fresh(estimates, store, key);
  if (known) return { total: Math.max(await known, limit + 1), exact: false };
  const source = countSourceOf(store, kind, count.onTable);
  let matches = db
    .selectFrom(source as string)
    .select(sql`1`.as('one'))
    .limit(limit + 1);
  if (count.where) matches = matches.where(count.where as never);
  const counted = await db
    .selectFrom(matches.as('bounded'))
    .select(sql<number>`count(*)`.as('n'))
    .executeTakeFirst();
  const n = Number((counted as { n?: unknown } | undefined)?.n ?? 0);
  if (n <= limit) return { total: n, exact: true };
  const estimate = await cached(estimates, store, key, () =>
    store.dialect === 'postgres' ? plannerEstimate(store, kind, count) : sampledEstimate(store, kind, count),
  );
  // The estimate never says fewer than were counted.
  return { total: Math.max(estimate, limit + 1), exact: false };
}

/** PostgreSQL's own estimate of the rows the filter selects (EXPLAIN, nothing executed). */
async function plannerEstimate(store: Store, kind: RecordKind, count: CountRequest): Promise<number> {
  const db = store.db as unknown as AnyDb;
  let q = db.selectFrom(countSourceOf(store, kind, count.onTable) as string).select(sql`1`.as('one'));
  if (count.where) q = q.where(count.where as never);
  const compiled = q.compile();
  const result = await store.db.executeQuery(
    CompiledQuery.raw(`explain (format json) ${compiled.sql}`, [...compiled.parameters]),
  );
  const cell = Object.values((result.rows[0] ?? {}) as Record<string, unknown>)[0];
  const plan = (typeof cell === 'string' ? JSON.parse(cell) : cell) as Array<{
    Plan?: { 'Plan Rows'?: number };
  }>;
  return Math.round(Number(plan?.[0]?.Plan?.['Plan Rows'] ?? 0));
}

/** The share of matches among the table's first rows in key order, times its size. */
async function sampledEstimate(store: Store, kind: RecordKind, count: CountRequest): Promise<number> {
  const db = store.db as unknown as AnyDb;
  const table = kindTable(kind);
  const size = await cached(tableSizes, store, table, async () => {
    const row = await db.selectFrom(table).select(sql<number>`count(*)`.as('n')).executeTakeFirst();
    return Number((row as { n?: unknown } | undefined)?.n ?? 0);
  });
  let first = db.selectFrom(countSourceOf(store, kind, count.onTable) as string).selectAll();
  for (const k of kindKey(kind)) first = first.orderBy(`${table}.${k}`);
  const sample = first.limit(SAMPLE_ROWS).as(table);
  const matched = count.where
    ? sql<number>`sum(case when ${count.where} then 1 else 0 end)`
    : sql<number>`count(*)`;
  const row = (await db
    .selectFrom(sample)
    .select([sql<number>`count(*)`.as('sampled'), matched.as('matched')])
    .executeTakeFirst()) as { sampled?: unknown; matched?: unknown } | undefined;
  const sampled = Number(row?.sampled ?? 0);
  return sampled === 0 ? 0 : Math.round((size * Number(row?.matched ?? 0)) / sampled);
}
