import { assessmentPages } from '../../mde/paging/assessment-pages.js';
import { parseRecord } from '../../mde/parse/parse-record.js';
import { VulnerabilityChangeRowSchema } from '../../mde/schemas/vulnerability-change-row.js';
import type { ChangeEvent } from '../../normalize/finding-lifecycle.js';
import type { NormalizedFinding } from '../../normalize/model.js';
import { normalizeFinding } from '../../normalize/normalize-finding.js';
import { reject, type SyncContext } from '../sync-context.js';
import { findingFilter } from './finding-filters.js';
import { batchContext, VULNERABILITIES_STREAM } from './vulnerabilities-full-stream.js';
import { getVulnerabilityWatermark, setVulnerabilityWatermark } from './vulnerability-watermark.js';

/** docs/mde-api.md#delta-feed: the change feed reaches back 14 days; keep a margin for clock skew. */
export const MAX_DELTA_WINDOW_MS = 14 * 86_400_000 - 3_600_000;

export class DeltaNotPossibleError extends Error {
  readonly code = 'delta-not-possible' as const;
}

/** Kept apart from the full pass's checkpoint, so a delta never discards an interrupted full pass. */
export const DELTA_CHECKPOINT = 'vulnerabilities:delta';

const RANK = { Fixed: 0, Updated: 1, New: 2 } as const;

/**
 * Delta vulnerability sync (docs/sync.md#vulnerabilities-delta): `SoftwareVulnerabilityChangesByMachine`
 * since the last good sync minus an overlap. Events are applied in order and idempotently: the feed repeats
 * the window that holds `sinceTime`, and an RBAC move shows as Fixed plus New for one finding.
 */
export async function syncVulnerabilitiesDelta(ctx: SyncContext): Promise<{ snapshotTime: string }> {
  const counters = ctx.counters(VULNERABILITIES_STREAM);
  const watermark = await getVulnerabilityWatermark(ctx);
  if (!watermark)
    throw new DeltaNotPossibleError('no complete full sync yet: a delta needs one to start from');
  const since = Date.parse(watermark.time) - ctx.connector.options.deltaOverlapHours * 3_600_000;
  if (ctx.now().getTime() - since > MAX_DELTA_WINDOW_MS) {
    throw new DeltaNotPossibleError(
      'the last good sync is older than the 14 days the change feed keeps: run a full sync',
    );
  }
  const sinceTime = new Date(since).toISOString();
  const keep = findingFilter(ctx);
  ctx.progress.start(VULNERABILITIES_STREAM);
  let latest = watermark.time;
  let page = 0;
  const pages = assessmentPages(ctx.client, 'SoftwareVulnerabilityChangesByMachine', {
    pageSize: 50_000,
    sinceTime,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  for await (const records of pages) {
    page++;
    const changes: Array<{ finding: NormalizedFinding; event: ChangeEvent }> = [];
    for (const raw of records) {
      counters.fetched++;
      const parsed = parseRecord(VulnerabilityChangeRowSchema, raw);
      if (!parsed.ok) {
        reject(counters, parsed.reason);
        continue;
      }
      const row = parsed.value;
      const finding = normalizeFinding(row, ctx.customFields?.finding);
      if (!finding || !keep(finding)) continue;
      const status = row.status as ChangeEvent['status'];
      if (!(status in RANK)) {
        reject(counters, `status: unknown change status "${row.status}"`);
        continue;
      }
      changes.push({
        finding,
        event: {
          status,
          time: row.eventTimestamp,
          rbacGroupId: row.rbacGroupId ?? null,
          contentHash: finding.contentHash,
        },
      });
      if (row.eventTimestamp > latest) latest = row.eventTimestamp;
    }
    // Within a page: oldest first, and at one instant Fixed before New (an RBAC move's two halves).
    changes.sort((a, b) =>
      a.event.time < b.event.time
        ? -1
        : a.event.time > b.event.time
          ? 1
          : RANK[a.event.status] - RANK[b.event.status],
    );
    ctx.scoreFindings?.(changes.map((c) => c.finding));
    const result = await ctx.findings.applyChangeBatch(batchContext(ctx, ctx.runId), changes, {
      stream: DELTA_CHECKPOINT,
      value: { sinceTime, page },
    });
    counters.inserted += result.inserted;
    counters.updated += result.updated;
    counters.closed += result.closed;
    counters.unchanged += result.skipped;
    ctx.progress.update(VULNERABILITIES_STREAM, counters.fetched);
  }
  await setVulnerabilityWatermark(ctx, latest, false);
  await ctx.checkpoints.clear(ctx.connector.id, DELTA_CHECKPOINT);
  counters.outcome = 'complete';
  return { snapshotTime: latest };
}
