import { applySelect, compareForOrderBy, type EntitySetSpec, parseQueryOptions } from '../odata/index.js';
import { corruptRecord } from './corrupt-record.js';
import { withQuery } from './odata-url.js';
import { hasFault, type RouteContext } from './route.js';
import { sendBody } from './send-body.js';

/**
 * Answers an OData entity-set request (mde-api.md 2.3): `$filter`, `$orderby`, `$skip`, `$top`.
 * Without `$top` a page holds the set's maximum and carries `@odata.nextLink` when more rows exist;
 * with `$top` there is no nextLink, which is the MDE quirk clients must survive.
 */
export function sendODataPage(
  ctx: RouteContext,
  spec: EntitySetSpec,
  records: Iterable<Record<string, unknown>>,
  contextName: string,
  project: (
    record: Record<string, unknown>,
    expandEvidence: boolean,
  ) => Record<string, unknown> = stripEvidence,
): void {
  const q = parseQueryOptions(ctx.url.searchParams, spec);
  const pageSize = q.top ?? spec.maxTop;
  let source: Iterable<Record<string, unknown>> = records;
  if (q.orderBy && q.orderBy.length > 0) {
    // Sorting needs every matching row; only small sets or filtered views should ask for it.
    const all: Record<string, unknown>[] = [];
    for (const r of records) if (!q.filter || q.filter(r)) all.push(r);
    all.sort(compareForOrderBy(q.orderBy, spec));
    source = all;
  }
  const page: Record<string, unknown>[] = [];
  let skipped = 0;
  let more = false;
  for (const r of source) {
    if (!q.orderBy?.length && q.filter && !q.filter(r)) continue;
    if (skipped < q.skip) {
      skipped++;
      continue;
    }
    if (page.length === pageSize) {
      more = true;
      break;
    }
    const projected = project(r, q.expandEvidence);
    page.push(q.select ? applySelect(projected, q.select) : projected);
  }
  if (hasFault(ctx, 'malformed-records') && page.length > 0) page[0] = corruptRecord(page[0]!);
  const body: Record<string, unknown> = {
    '@odata.context': `${ctx.sim.baseUrl}/api/$metadata#${contextName}`,
    value: page,
  };
  if (q.top === undefined && more) {
    const next = nextLinkFor(ctx, q.skip + page.length);
    if (next) body['@odata.nextLink'] = next;
  }
  sendBody(ctx, 200, body);
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
  // Without $expand=evidence, MDE sends an empty evidence list (mde-api.md 7).
  return { ...record, evidence: [] };
}
