/**
 * Paging over MDE's OData entity sets (docs/mde-api.md#paging): machines, alerts, machine actions, the CVE
 * catalog, software, recommendations, machinesVulnerabilities. MDE sends no nextLink when `$top` is
 * used and has sent nextLinks that loop, so the rule is: follow a sane nextLink,
 * else continue with `$skip` while pages come back full, stop on a short page, never loop.
 */
import type { EndpointFamily } from '../http/client-rate-limiter.js';
import { redactUrl } from '../http/redact.js';
import type { MdeClient, Query } from '../mde-client.js';
import { ApiError, PagingError } from '../mde-errors.js';
import { OdataPageEnvelopeSchema } from '../schemas/odata-page.js';

/** `$top` maxima per entity set (docs/mde-api.md#rate-limits); a larger `$top` is a 400 ODataError. */
export const ODATA_MAX_PAGE_SIZES = {
  machines: 10_000,
  alerts: 10_000,
  machineActions: 10_000,
  vulnerabilities: 8_000,
  software: 10_000,
  recommendations: 10_000,
  machinesVulnerabilities: 10_000,
} as const;

/** Options of {@link odataPages}. */
export interface ODataPagesOptions {
  /** Rows per page, sent as `$top`; at most the set's maximum ({@link ODATA_MAX_PAGE_SIZES}). */
  pageSize: number;
  /** The record's identity field, compared case-insensitively; default `id`. */
  idField?: string;
  /** More query options: `$filter`, `$orderby`, `$expand`. */
  query?: Query;
  /**
   * Send `$top` (default true). Without it MDE pages at the set's maximum with nextLinks; then
   * `pageSize` must be that maximum, so a full page can still be told from the last one.
   */
  sendTop?: boolean;
  /** docs/mde-api.md#errors: `GET /api/machines` answers 404 when there are no recent machines. */
  notFoundIsEmpty?: boolean;
  /** Ids remembered across pages for the repeat check; beyond it only recent pages are compared. */
  maxTrackedIds?: number;
  /** Guard against a server that never stops; default 100,000 pages. */
  maxPages?: number;
  signal?: AbortSignal;
  /** Called after each page, e.g. for progress. */
  onPage?: (page: { number: number; records: number; total: number }) => void;
}

/** What a completed paging run read. */
export interface ODataPagesSummary {
  pages: number;
  records: number;
  /** How often a full page had no usable nextLink and `$skip` took over. */
  skipFallbacks: number;
}

/**
 * Yields the raw records of an entity set, page by page: arrays of unvalidated values, normally
 * objects, possibly malformed (the caller parses each with `parseRecord` and counts rejections).
 * Returns a summary when complete.
 *
 * @throws PagingError on a nextLink seen before (`loop`), an id already seen on an earlier page
 *   (`repeated-id`), or a page that is not an OData collection (`bad-page`); the pull is then partial.
 */
export async function* odataPages(
  client: MdeClient,
  family: EndpointFamily,
  path: string,
  options: ODataPagesOptions,
): AsyncGenerator<unknown[], ODataPagesSummary> {
  const { pageSize } = options;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 10_000) {
    throw new RangeError(`pageSize must be an integer from 1 to 10000 (got ${pageSize})`);
  }
  const idField = (options.idField ?? 'id').toLowerCase();
  const maxPages = options.maxPages ?? 100_000;
  const sendTop = options.sendTop ?? true;
  const first = client.resolve(path, { ...options.query, ...(sendTop ? { $top: pageSize } : {}) });
  const base = new URL(first);
  const seenLinks = new Set<string>([first]);
  const ids = new RecentIds(options.maxTrackedIds ?? 1_000_000);
  const log = client.logSink;
  let url = first;
  let total = 0;
  let pages = 0;
  let skipFallbacks = 0;
  for (;;) {
    if (++pages > maxPages)
      throw new PagingError('loop', `more than ${maxPages} pages from ${base.pathname}`, base.pathname);
    let body: unknown;
    try {
      body = await client.getJson(
        family,
        url,
        undefined,
        options.signal ? { signal: options.signal } : undefined,
      );
    } catch (error) {
      if (options.notFoundIsEmpty && pages === 1 && error instanceof ApiError && error.status === 404) {
        return { pages: 0, records: 0, skipFallbacks };
      }
      throw error;
    }
    const envelope = OdataPageEnvelopeSchema.safeParse(body);
    if (!envelope.success) {
      throw new PagingError(
        'bad-page',
        `page ${pages} of ${base.pathname} is not an OData collection`,
        base.pathname,
      );
    }
    const records = envelope.data.value;
    for (const record of records) {
      const id = isRecord(record) ? idOf(record, idField) : undefined;
      if (id !== undefined && !ids.add(id, pages)) {
        throw new PagingError(
          'repeated-id',
          `page ${pages} of ${base.pathname} repeats ${idField} "${id}" from an earlier page; the set moved or the server loops`,
          base.pathname,
        );
      }
    }
    total += records.length;
    options.onPage?.({ number: pages, records: records.length, total });
    if (records.length > 0) yield records;

    const link = envelope.data['@odata.nextLink'];
    if (link) {
      const next = saneLink(link, base);
      if (next && seenLinks.has(next)) {
        throw new PagingError(
          'loop',
          `the nextLink of page ${pages} of ${base.pathname} was already followed`,
          base.pathname,
        );
      }
      if (next) {
        seenLinks.add(next);
        url = next;
        continue;
      }
      log('warn', 'bad-nextlink', `ignoring an unusable nextLink on page ${pages} of ${base.pathname}`, {
        nextLink: redactUrl(link).slice(0, 200),
      });
    }
    // A short page is the last one; a full page without a usable link means MDE dropped it
    // (docs/mde-api.md#paging).
    if (records.length < pageSize) return { pages, records: total, skipFallbacks };
    skipFallbacks++;
    url = client.resolve(first, { $top: pageSize, $skip: total });
    seenLinks.add(url);
  }
}

/** The nextLink as an absolute URL if it is on the same origin and path as the first request. */
function saneLink(link: string, base: URL): string | undefined {
  let next: URL;
  try {
    next = new URL(link, base);
  } catch {
    return undefined;
  }
  if (next.origin !== base.origin) return undefined;
  if (next.pathname.toLowerCase() !== base.pathname.toLowerCase()) return undefined;
  return next.toString();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The id as text, found case-insensitively; undefined for a missing or malformed id. */
function idOf(record: Record<string, unknown>, lowerField: string): string | undefined {
  let value = record[lowerField];
  if (value === undefined) {
    for (const key in record) {
      if (key.toLowerCase() === lowerField) {
        value = record[key];
        break;
      }
    }
  }
  if (typeof value === 'string') return value.toLowerCase();
  if (typeof value === 'number') return String(value);
  return undefined;
}

/**
 * Ids seen on earlier pages. Up to `limit` ids are kept exactly; past that, the oldest pages are
 * forgotten, so memory stays bounded on very large sets.
 */
class RecentIds {
  private readonly byId = new Map<string, number>();

  constructor(private readonly limit: number) {}

  /** Adds an id for `page`; false when an earlier page already had it. */
  add(id: string, page: number): boolean {
    const seenOn = this.byId.get(id);
    if (seenOn !== undefined && seenOn !== page) return false;
    // A page may list the same id twice (e.g. a merged device); only cross-page repeats are loops.
    this.byId.set(id, page);
    if (this.byId.size > this.limit) {
      const oldest = this.byId.keys().next().value;
      if (oldest !== undefined) this.byId.delete(oldest);
    }
    return true;
  }
}
