import type { MdeClient } from '../../mde/mde-client.js';
import { ApiError, PagingError } from '../../mde/mde-errors.js';
import { odataPages } from '../../mde/paging/odata-pages.js';
import { OdataPageEnvelopeSchema } from '../../mde/schemas/odata-page.js';

/** Below this a window is not split again: a full page inside it is paged with `$skip`. */
const MIN_WINDOW_MS = 1_000;
/** A new window aims at this share of a page, so a denser stretch rarely fills one. */
const TARGET_FILL = 0.7;

export interface LastSeenWindowOptions {
  /** Devices with lastSeen after this (epoch ms)... */
  fromMs: number;
  /** ...and at or before this one: the read's start, so no device enters a window while it is read. */
  toMs: number;
  /** The connector's own OData filter, if any. */
  filter?: string | undefined;
  pageSize: number;
  /** The first window's width; later ones follow the density seen. Default: the whole range. */
  firstSpanMs?: number;
  signal?: AbortSignal | undefined;
}

/** A device reports about once a day (docs/mde-api.md#lastseen: lastSeen is the ~24 h full report). */
const REPORT_INTERVAL_MS = 24 * 3_600_000;

/**
 * A first window expected to fill most of a page when `devices` report once a day, so a large
 * tenant's first answer is not a full page thrown away.
 */
export function firstWindowSpan(devices: number, pageSize: number): number {
  return Math.max(60_000, Math.floor((TARGET_FILL * pageSize * REPORT_INTERVAL_MS) / Math.max(1, devices)));
}

/** The filter of one window, with the connector's own. */
export function windowFilter(fromMs: number, toMs: number, filter: string | undefined): string {
  const window = `lastSeen gt ${new Date(fromMs).toISOString()} and lastSeen le ${new Date(toMs).toISOString()}`;
  return filter ? `(${filter}) and ${window}` : window;
}

/**
 * The devices whose lastSeen lies in (fromMs, toMs], in windows of lastSeen each asked for in one
 * request with no `$skip` (docs/mde-api.md#reading-strategy: partition by lastSeen to keep `$skip` shallow).
 * Paging one filtered set with `$skip` is not safe while devices report: a device that moves into or out of
 * the set shifts every later position, and a page then repeats or skips one. A window ends at the read's
 * start, so a device can only leave it (by reporting again, which the next read picks up), and a
 * window is one answer, so nothing shifts under it.
 *
 * A window whose answer is a full page may hold more: its answer is dropped and a quarter of it is
 * asked for instead; later windows are sized from the density seen so far.
 */
export async function* lastSeenWindowPages(
  client: MdeClient,
  options: LastSeenWindowOptions,
): AsyncGenerator<unknown[], void> {
  const { pageSize, filter, signal } = options;
  let from = options.fromMs;
  let span = Math.min(options.firstSpanMs ?? Number.POSITIVE_INFINITY, options.toMs - options.fromMs);
  while (from < options.toMs) {
    const to = Math.min(options.toMs, from + span);
    const $filter = windowFilter(from, to, filter);
    const records = await onePage(client, $filter, pageSize, signal);
    if (records.length >= pageSize) {
      if (to - from > MIN_WINDOW_MS) {
        span = Math.max(MIN_WINDOW_MS, Math.floor((to - from) / 4));
        continue;
      }
      // A second with a page of reports: paged, it hardly moves while read.
      yield* odataPages(client, 'entity', '/api/machines', {
        pageSize,
        notFoundIsEmpty: true,
        query: { $filter },
        ...(signal ? { signal } : {}),
      });
    } else if (records.length > 0) {
      yield records;
    }
    const width = to - from;
    from = to;
    span =
      records.length === 0
        ? width * 2
        : Math.max(MIN_WINDOW_MS, Math.floor((width * TARGET_FILL * pageSize) / records.length));
  }
}

async function onePage(
  client: MdeClient,
  $filter: string,
  pageSize: number,
  signal: AbortSignal | undefined,
): Promise<unknown[]> {
  let body: unknown;
  try {
    body = await client.getJson(
      'entity',
      '/api/machines',
      { $filter, $top: pageSize },
      signal ? { signal } : undefined,
    );
  } catch (error) {
    // docs/mde-api.md#errors: a 404 means no recent machines.
    if (error instanceof ApiError && error.status === 404) return [];
    throw error;
  }
  const envelope = OdataPageEnvelopeSchema.safeParse(body);
  if (!envelope.success)
    throw new PagingError(
      'bad-page',
      'an answer of /api/machines is not an OData collection',
      '/api/machines',
    );
  return envelope.data.value;
}
