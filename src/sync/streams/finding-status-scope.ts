import type { SyncContext } from '../sync-context.js';
import { VULNERABILITIES_STREAM } from './vulnerabilities-full-stream.js';

/**
 * `--vulnerability-status open` (docs/connector-options.md#vulnerability-status): the connector keeps
 * open findings only, so the findings this run closed (and any kept from before the option was set)
 * are removed once the vulnerabilities stream has applied them. A finding found again later comes
 * back as a new one.
 */
export async function removeFixedFindings(ctx: SyncContext): Promise<void> {
  if (ctx.connector.options.vulnerabilityStatus.includes('fixed')) return;
  const result = await ctx.store.db
    .deleteFrom('findings')
    .where('connectorId', '=', ctx.connector.id)
    .where('status', '=', 'fixed')
    .executeTakeFirst();
  // Said in the stream's note: removed findings are not records this run fetched and left out.
  const removed = Number(result.numDeletedRows);
  if (removed === 0) return;
  const counters = ctx.counters(VULNERABILITIES_STREAM);
  const text = `${removed} fixed findings removed (--vulnerability-status open)`;
  counters.note = counters.note ? `${counters.note}; ${text}` : text;
}
