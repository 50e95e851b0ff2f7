import { applySelect, compareForOrderBy, type EntitySetSpec, parseQueryOptions } from '../odata/index.js';
import { corruptRecord } from './corrupt-record.js';
import { withQuery } from './odata-url.js';
import { hasFault, type RouteContext } from './route.js';
import { sendBody } from './send-body.js';

/**
 * Answers an OData entity-set request (docs/mde-api.md#paging): `$filter`, `$orderby`, `$skip`, `$top`.
 * Without `$top` a page holds the set's maximum and carries `@odata.nextLink` when more rows exist;
 * with `$top` there is no nextLink, which is the MDE quirk clients must survive.
 */
export async function sendODataPage(
  ctx: RouteContext,
  spec: EntitySetSpec,
  records: Iterable<Record<string, unknown>>,
  contextName: string,
  project: (
    record: Record<string, unknown>,
    expandEvidence: boolean,
  ) => Record<string, unknown> = stripEvidence,
  /** The records from an offset, when the source can start there without producing the rest. */
  recordsFrom?: (skip: number) => Iterable<Record<string, unknown>>,
): Promise<void> {
  const q = parseQueryOptions(ctx.url.searchParams, spec);
  const pageSize = q.top ?? spec.maxTop;
  let source: Iterable<Record<string, unknown>> = records;
  let skipInPage = q.skip;
  if (recordsFrom && !q.filter && !q.orderBy?.length) {
    // A plain `$skip` starts at its row: page 20 of 100,000 machines costs what page 1 does.
    source = recordsFrom(q.skip);
    skipInPage = 0;
  }
  if (q.orderBy && q.orderBy.length > 0) {
    // Sorting needs every matching row; only small sets or filtered views should ask for it.
    const all: Record<string, unknown>[] = [];
    for (const r of records) if (!q.filter || q.filter(r)) all.push(r);
    all.sort(compareForOrderBy(q.orderBy, spec));
    source = all;
  }
  const rows = pageRows(ctx, { ...q, skip: skipInPage }, source, pageSize, project);
  const context = `${ctx.sim.baseUrl}/api/$metadata#${contextName}`;
  if (ctx.faults.some((f) => f.kind === 'slow' || f.kind === 'cut-body')) {
    // Body faults need the whole body; they only ever hit small test pages.
    const value = [...rows];
    const body: Record<string, unknown> = { '@odata.context': context, value };
    const next = rows.more ? nextLinkFor(ctx, q.skip + value.length) : undefined;
    if (q.top === undefined && next) body['@odata.nextLink'] = next;
    sendBody(ctx, 200, body);
    return;
  }
  await streamPage(ctx, context, rows, (count) =>
    q.top === undefined && rows.more ? nextLinkFor(ctx, q.skip + count) : undefined,
  );
}

type PageRows = Iterable<Record<string, unknown>> & { more: boolean };

/** The rows of one page, produced lazily; `more` tells, once iterated, whether rows remain. */
function pageRows(
  ctx: RouteContext,
  q: ReturnType<typeof parseQueryOptions>,
  source: Iterable<Record<string, unknown>>,
  pageSize: number,
  project: (record: Record<string, unknown>, expandEvidence: boolean) => Record<string, unknown>,
): PageRows {
  const result = {
    more: false,
    *[Symbol.iterator]() {
      let skipped = 0;
      let count = 0;
      const corrupt = hasFault(ctx, 'malformed-records');
      for (const r of source) {
        if (!q.orderBy?.length && q.filter && !q.filter(r)) continue;
        if (skipped < q.skip) {
          skipped++;
          continue;
        }
        if (count === pageSize) {
          result.more = true;
          return;
        }
        const projected = project(r, q.expandEvidence);
        const row = q.select ? applySelect(projected, q.select) : projected;
        yield corrupt && count === 0 ? corruptRecord(row) : row;
        count++;
      }
    },
  };
  return result;
}

/**
 * Writes a page as it is produced, a chunk at a time with back-pressure: a page is never held whole
 * (objects, string and buffer), so the simulator's memory stays flat (docs/benchmarks.md).
 */
export async function streamPage(
  ctx: RouteContext,
  context: string,
  rows: Iterable<Record<string, unknown>>,
  nextLink: (count: number) => string | undefined,
): Promise<void> {
  const { res } = ctx;
  res.writeHead(200, { 'content-type': 'application/json; odata.metadata=minimal; charset=utf-8' });
  let buffer = `{"@odata.context":${JSON.stringify(context)},"value":[`;
  let count = 0;
  for (const row of rows) {
    buffer += `${count === 0 ? '' : ','}${JSON.stringify(row)}`;
    count++;
    if (buffer.length > 1 << 16) {
      if (!res.write(buffer)) await new Promise((resolve) => res.once('drain', resolve));
      buffer = '';
    }
  }
  const next = nextLink(count);
  buffer += `]${next ? `,"@odata.nextLink":${JSON.stringify(next)}` : ''}}`;
  res.end(buffer);
}

/** The nextLink for the page after this one, or what a nextLink fault makes of it. */
export function nextLinkFor(ctx: RouteContext, nextSkip: number): string | undefined {
  if (hasFault(ctx, 'missing-nextlink')) return undefined;
  if (hasFault(ctx, 'loop-nextlink')) return ctx.url.toString();
  if (hasFault(ctx, 'malformed-nextlink')) return 'https://%zz/api/machines?$skip=abc';
  return withQuery(ctx.url, { $skip: String(nextSkip) });
}

function stripEvidence(record: Record<string, unknown>, expandEvidence: boolean): Record<string, unknown> {
  if (expandEvidence || !('evidence' in record)) return record;
  // Without $expand=evidence, MDE sends an empty evidence list (docs/mde-api.md#alerts).
  return { ...record, evidence: [] };
}
