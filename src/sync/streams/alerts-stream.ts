import * as z from 'zod';
import { odataPages } from '../../mde/paging/odata-pages.js';
import { parseRecord } from '../../mde/parse/parse-record.js';
import { AlertSchema } from '../../mde/schemas/alert.js';
import type { KeyedRecord } from '../../normalize/model.js';
import { normalizeAlert } from '../../normalize/normalize-catalogs.js';
import { IsoTimeSchema } from '../iso-time-schema.js';
import { leaveOut, reject, type SyncContext, storeKeyedBatch } from '../sync-context.js';
import { DEVICES_LEFT_OUT } from './finding-filters.js';
import { firstRunAlertsFrom } from './first-run-window.js';

export const ALERTS_STREAM = 'alerts';
const WATERMARK = 'alerts:watermark';
/** The newest alert update read; validated when read back. */
const AlertsWatermarkSchema = z.object({
  lastUpdateTime: IsoTimeSchema,
});
/** Re-read a little before the watermark: alerts updated in the same instant must not be missed. */
const OVERLAP_MS = 10 * 60_000;

/**
 * Alerts (docs/mde-api.md#alerts) incrementally: `lastUpdateTime ge` the newest update seen minus an overlap,
 * with evidence; the first run reaches back `initialLookbackDays` (30 days when unset). Rows are upserted by id, so the
 * overlap never duplicates, and the watermark only moves forward.
 */
export async function syncAlerts(ctx: SyncContext): Promise<void> {
  const counters = ctx.counters(ALERTS_STREAM);
  ctx.progress.start(ALERTS_STREAM);
  const saved = await ctx.checkpoints.trusted(ctx.connector.id, WATERMARK, AlertsWatermarkSchema, (why) =>
    ctx.progress.note(why),
  );
  const from = saved
    ? new Date(Date.parse(saved.lastUpdateTime) - OVERLAP_MS)
    : firstRunAlertsFrom(ctx.connector.options, ctx.now().getTime());
  let newest = saved?.lastUpdateTime ?? '';
  const hostIdOf = (machineId: string) => ctx.hostIndex.get(machineId) ?? null;
  const pages = odataPages(ctx.client, 'entity', '/api/alerts', {
    pageSize: 10_000,
    query: { $filter: `lastUpdateTime ge ${from.toISOString()}`, $expand: 'evidence' },
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  for await (const records of pages) {
    const rows: KeyedRecord[] = [];
    for (const raw of records) {
      counters.fetched++;
      const parsed = parseRecord(AlertSchema, raw);
      if (!parsed.ok) {
        reject(counters, parsed.reason);
        continue;
      }
      const row = normalizeAlert(parsed.value, hostIdOf);
      const machineId = row.values.machineId as string | null;
      if (ctx.deviceFilterActive && (!machineId || !ctx.hostIndex.has(machineId))) {
        leaveOut(counters, DEVICES_LEFT_OUT);
        continue;
      }
      rows.push(row);
      const updated = parsed.value.lastUpdateTime;
      if (updated && updated > newest) newest = updated;
    }
    await storeKeyedBatch(ctx, ALERTS_STREAM, 'alerts', rows);
  }
  // Only a complete read moves the watermark; a failed one re-reads the same window next time.
  if (newest)
    await ctx.checkpoints.put(
      ctx.connector.id,
      WATERMARK,
      { lastUpdateTime: newest },
      ctx.now().toISOString(),
    );
  counters.outcome = 'complete';
}
