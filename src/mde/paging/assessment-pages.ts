/**
 * Paging over the assessment endpoints (docs/mde-api.md#paging, #vulnerability-rows, #delta-feed, #software):
 * `pageSize` and a `$skiptoken` nextLink, never `$top` (it truncates the pull with no nextLink). These
 * endpoints have no `$skip`, so a full page without a nextLink cannot be continued: the pull is reported
 * incomplete, never as done.
 */
import { redactUrl } from '../http/redact.js';
import type { MdeClient, Query } from '../mde-client.js';
import { ConfigError, PagingError } from '../mde-errors.js';
import { OdataPageEnvelopeSchema } from '../schemas/odata-page.js';

/** The paged assessment endpoints, under `/api/machines/`. */
export const ASSESSMENT_ENDPOINTS = [
  'SoftwareVulnerabilitiesByMachine',
  'SoftwareInventoryByMachine',
  'SoftwareInventoryNoProductCodeByMachine',
  'SoftwareVulnerabilityChangesByMachine',
] as const;

/** One of {@link ASSESSMENT_ENDPOINTS}. */
export type AssessmentEndpoint = (typeof ASSESSMENT_ENDPOINTS)[number];

/** docs/mde-api.md#paging: default 50,000 rows; at most 200,000 (about 200 MB of JSON per page). */
export const DEFAULT_ASSESSMENT_PAGE_SIZE = 50_000;
export const MAX_ASSESSMENT_PAGE_SIZE = 200_000;
/** docs/mde-api.md#delta-feed: the change feed reaches back at most 14 days. */
export const MAX_SINCE_DAYS = 14;

/** Options of {@link assessmentPages}. */
export interface AssessmentPagesOptions {
  pageSize?: number;
  /**
   * Required for `SoftwareVulnerabilityChangesByMachine`; ignored by the others
   * (docs/mde-api.md#documentation-defects).
   */
  sinceTime?: Date | string;
  /** Extra query parameters; `$top` is refused. */
  query?: Query;
  /** Guard against a server that never stops; default 10,000 pages. */
  maxPages?: number;
  signal?: AbortSignal;
  onPage?: (page: { number: number; records: number; total: number }) => void;
}

/** What a completed pull read. */
export interface AssessmentPagesSummary {
  pages: number;
  records: number;
}

/**
 * Yields the raw rows of an assessment endpoint page by page (unvalidated values, normally objects
 * with camelCase keys) and returns a summary when the last page (no nextLink) was read.
 *
 * @throws PagingError `malformed-link` (a nextLink that is not a URL, or is on another host),
 *   `loop` (a nextLink already followed), `incomplete` (a full page without a nextLink), `bad-page`.
 * @throws ConfigError for `$top`, a bad `pageSize`, or a missing `sinceTime` on the change feed.
 */
export async function* assessmentPages(
  client: MdeClient,
  endpoint: AssessmentEndpoint,
  options: AssessmentPagesOptions = {},
): AsyncGenerator<unknown[], AssessmentPagesSummary> {
  const pageSize = options.pageSize ?? DEFAULT_ASSESSMENT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_ASSESSMENT_PAGE_SIZE) {
    throw new ConfigError('pageSize', `pageSize must be an integer from 1 to ${MAX_ASSESSMENT_PAGE_SIZE}`);
  }
  if (options.query && Object.keys(options.query).some((k) => k.toLowerCase() === '$top')) {
    // docs/mde-api.md#paging: `$top` here answers without a nextLink and silently truncates the pull.
    throw new ConfigError('query', '$top must not be used on assessment endpoints; use pageSize');
  }
  const query: Record<string, string | number | boolean | undefined> = { ...options.query, pageSize };
  if (endpoint === 'SoftwareVulnerabilityChangesByMachine') {
    if (options.sinceTime === undefined) {
      throw new ConfigError('sinceTime', 'sinceTime is required for SoftwareVulnerabilityChangesByMachine');
    }
    query.sinceTime = toIso(options.sinceTime);
  }
  const path = `/api/machines/${endpoint}`;
  const first = client.resolve(path, query);
  const seen = new Set<string>([first]);
  const maxPages = options.maxPages ?? 10_000;
  let url = first;
  let pages = 0;
  let total = 0;
  for (;;) {
    if (++pages > maxPages)
      throw new PagingError('loop', `more than ${maxPages} pages from ${endpoint}`, path);
    const body = await client.getJson(
      'assessmentJson',
      url,
      undefined,
      options.signal ? { signal: options.signal } : undefined,
    );
    const envelope = OdataPageEnvelopeSchema.safeParse(body);
    if (!envelope.success) {
      throw new PagingError('bad-page', `page ${pages} of ${endpoint} is not an OData collection`, path);
    }
    const rows = envelope.data.value;
    total += rows.length;
    options.onPage?.({ number: pages, records: rows.length, total });
    if (rows.length > 0) yield rows;
    const link = envelope.data['@odata.nextLink'];
    if (!link) {
      if (rows.length >= pageSize) {
        throw new PagingError(
          'incomplete',
          `page ${pages} of ${endpoint} is full (${rows.length} rows) but has no nextLink; the rest cannot be reached, so the pull is incomplete`,
          path,
        );
      }
      return { pages, records: total };
    }
    url = checkLink(client, link, endpoint, pages, path);
    if (seen.has(url)) {
      throw new PagingError(
        'loop',
        `the nextLink of page ${pages} of ${endpoint} was already followed`,
        path,
      );
    }
    seen.add(url);
  }
}

/**
 * Follow the link as given (docs/mde-api.md#documentation-defects), but only if it is a URL the token may go
 * to.
 */
function checkLink(client: MdeClient, link: string, endpoint: string, page: number, path: string): string {
  let next: URL;
  try {
    next = new URL(link);
  } catch {
    throw new PagingError(
      'malformed-link',
      `the nextLink of page ${page} of ${endpoint} is not a URL: "${redactUrl(link).slice(0, 120)}"`,
      path,
    );
  }
  if (!client.isTrusted(next)) {
    throw new PagingError(
      'malformed-link',
      `the nextLink of page ${page} of ${endpoint} points to another host (${next.origin})`,
      path,
    );
  }
  return next.toString();
}

function toIso(value: Date | string): string {
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  if (Number.isNaN(ms)) throw new ConfigError('sinceTime', `sinceTime is not a date: "${String(value)}"`);
  return new Date(ms).toISOString();
}
