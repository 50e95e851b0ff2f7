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
/** A table's size, for SQLite estimates, is counted again after this long (a count reads it all). */
const TABLE_SIZE_TTL_MS = 5 * 60_000;

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

interface Cached {
  at: number;
  value: Promise<number>;
}
const estimates = new WeakMap<Store, Map<string, Cached>>();
const tableSizes = new WeakMap<Store, Map<string, Cached>>();

/** Entries per store beyond which the oldest are dropped (distinct queries are few in practice). */
const CACHE_ENTRIES = 500;

/** A value computed within the last `ttlMs`, if any. */
function fresh(
  caches: WeakMap<Store, Map<string, Cached>>,
  store: Store,
  key: string,
  ttlMs = ESTIMATE_TTL_MS,
) {
  const hit = caches.get(store)?.get(key);
  return hit && Date.now() - hit.at < ttlMs ? hit.value : undefined;
}

function cached(
  caches: WeakMap<Store, Map<string, Cached>>,
  store: Store,
  key: string,
  compute: () => Promise<number>,
  ttlMs = ESTIMATE_TTL_MS,
): Promise<number> {
  const known = fresh(caches, store, key, ttlMs);
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
 * The total of a list: exact when counting costs about what a page does, else an estimate.
 * - PostgreSQL: the planner's estimate (EXPLAIN, nothing run) first; a filter it expects to match
 *   more than twice {@link EXACT_COUNT_LIMIT} rows gets that estimate, any other is counted up to
 *   the limit, exact when there are no more.
 * - SQLite keeps no statistics. When its plan for the filter seeks an index, the matches are counted
 *   up to the limit (exact when there are no more). When it would scan the table (a filter no index
 *   narrows; counting even 10,000 matches could read a million rows), the filter is applied to the
 *   table's first {@link SAMPLE_ROWS} rows in key order: all of a smaller table (exact), else that
 *   share of matches times the table's size.
 * Estimates are kept for a while per list and query (`queryKey`); while one is kept, the list is
 * not counted again (a list with more matches than the limit seldom drops below it within seconds).
 */
export function listTotal(
  store: Store,
  kind: RecordKind,
  count: CountRequest,
  queryKey: string,
  /** Smaller bounds, for tests: matches counted one by one, rows a SQLite estimate samples. */
  bounds: { limit?: number; sampleRows?: number } = {},
): Promise<ListTotal> {
  const limit = bounds.limit ?? EXACT_COUNT_LIMIT;
  const key = `${kind}\u0000${count.onTable}\u0000${limit}\u0000${queryKey}`;
  // Requests for the same total at the same moment (every client opening one list) share one count.
  const running = counting.get(store) ?? new Map<string, Promise<ListTotal>>();
  counting.set(store, running);
  const shared = running.get(key);
  if (shared) return shared;
  const total = countOrEstimate(store, kind, count, key, limit, bounds.sampleRows ?? SAMPLE_ROWS);
  running.set(key, total);
  void total.finally(() => running.delete(key)).catch(() => {});
  return total;
}

const counting = new WeakMap<Store, Map<string, Promise<ListTotal>>>();

async function countOrEstimate(
  store: Store,
  kind: RecordKind,
  count: CountRequest,
  key: string,
  limit: number,
  sampleRows: number,
): Promise<ListTotal> {
  const known = fresh(estimates, store, key);
  if (known) return { total: Math.max(await known, limit + 1), exact: false };
  if (store.dialect === 'postgres') {
    const planned = await plannerEstimate(store, kind, count);
    if (planned <= 2 * limit) {
      const n = await boundedCount(store, kind, count, limit);
      if (n <= limit) return { total: n, exact: true };
    }
    const estimate = await cached(estimates, store, key, async () => planned);
    return { total: Math.max(estimate, limit + 1), exact: false };
  }
  if (await sqliteSeeks(store, kind, count)) {
    const n = await boundedCount(store, kind, count, limit);
    if (n <= limit) return { total: n, exact: true };
    const estimate = await cached(
      estimates,
      store,
      key,
      async () => (await sample(store, kind, count, sampleRows)).estimate,
    );
    return { total: Math.max(estimate, limit + 1), exact: false };
  }
  const sampled = await sample(store, kind, count, sampleRows);
  if (sampled.whole) return { total: sampled.matched, exact: true };
  const estimate = await cached(estimates, store, key, async () => sampled.estimate);
  return { total: estimate, exact: false };
}

/** The matches of the filter, counted up to `limit` + 1. */
async function boundedCount(store: Store, kind: RecordKind, count: CountRequest, limit: number) {
  const db = store.db as unknown as AnyDb;
  let matches = db
    .selectFrom(countSourceOf(store, kind, count.onTable) as string)
    .select(sql`1`.as('one'))
    .limit(limit + 1);
  if (count.where) matches = matches.where(count.where as never);
  const counted = await db
    .selectFrom(matches.as('bounded'))
    .select(sql<number>`count(*)`.as('n'))
    .executeTakeFirst();
  return Number((counted as { n?: unknown } | undefined)?.n ?? 0);
}

/** Whether SQLite's plan for the filter seeks indexes rather than scanning a table or a whole index. */
async function sqliteSeeks(store: Store, kind: RecordKind, count: CountRequest): Promise<boolean> {
  if (!count.where) return false;
  const db = store.db as unknown as AnyDb;
  const compiled = db
    .selectFrom(countSourceOf(store, kind, count.onTable) as string)
    .select(sql`1`.as('one'))
    .where(count.where as never)
    .compile();
  const plan = await store.db.executeQuery(
    CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]),
  );
  return !(plan.rows as Array<{ detail?: unknown }>).some((r) => /^SCAN /.test(String(r.detail ?? '')));
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

/**
 * The filter applied to the table's first {@link SAMPLE_ROWS} rows in key order: the matches among
 * them, whether that was the whole table, and the share of matches times the table's size.
 */
async function sample(
  store: Store,
  kind: RecordKind,
  count: CountRequest,
  sampleRows: number,
): Promise<{ matched: number; whole: boolean; estimate: number }> {
  const db = store.db as unknown as AnyDb;
  const table = kindTable(kind);
  let first = db.selectFrom(countSourceOf(store, kind, count.onTable) as string).selectAll();
  for (const k of kindKey(kind)) first = first.orderBy(`${table}.${k}`);
  const rows = first.limit(sampleRows).as(table);
  const matching = count.where
    ? sql<number>`sum(case when ${count.where} then 1 else 0 end)`
    : sql<number>`count(*)`;
  const row = (await db
    .selectFrom(rows)
    .select([sql<number>`count(*)`.as('sampled'), matching.as('matched')])
    .executeTakeFirst()) as { sampled?: unknown; matched?: unknown } | undefined;
  const sampled = Number(row?.sampled ?? 0);
  const matched = Number(row?.matched ?? 0);
  if (sampled < sampleRows) return { matched, whole: true, estimate: matched };
  const size = await cached(
    tableSizes,
    store,
    table,
    async () => {
      const counted = await db.selectFrom(table).select(sql<number>`count(*)`.as('n')).executeTakeFirst();
      return Number((counted as { n?: unknown } | undefined)?.n ?? 0);
    },
    TABLE_SIZE_TTL_MS,
  );
  return { matched, whole: false, estimate: Math.round((size * matched) / sampled) };
}
