import type { StreamCounters } from './run-repository.js';

/** Records of one stream that a run fetched and did not store, and why. */
export interface NotImported {
  stream: string;
  count: number;
  reason: string;
}

/**
 * Every record a run's streams fetched and did not store, with the reason: left out by a connector
 * option, rejected as malformed, or not a record of its own. Together with inserted, updated and
 * unchanged they add up to what was fetched, so a count that differs is always explained.
 */
export function notImported(counters: Record<string, StreamCounters>): NotImported[] {
  const out: NotImported[] = [];
  for (const [stream, c] of Object.entries(counters)) {
    for (const [reason, count] of Object.entries(c.leftOut ?? {})) out.push({ stream, count, reason });
    if (c.rejected > 0) {
      const reasons = Object.entries(c.rejectReasons ?? {})
        .map(([reason, count]) => `${reason} (${count.toLocaleString('en-US')})`)
        .join('; ');
      out.push({
        stream,
        count: c.rejected,
        reason: `rejected as malformed${reasons ? `: ${reasons}` : ''}`,
      });
    }
    const rest = c.fetched - c.inserted - c.updated - c.unchanged - c.rejected - leftOutCount(c);
    if (rest > 0)
      out.push({
        stream,
        count: rest,
        reason:
          stream === 'vulnerabilities'
            ? 'rows without a CVE (software with no known vulnerability) or repeating a finding already read'
            : 'rows repeating a record already read (stored once)',
      });
  }
  return out;
}

/** How many of a stream's records connector options left out. */
export function leftOutCount(c: StreamCounters): number {
  return Object.values(c.leftOut ?? {}).reduce((a, b) => a + b, 0);
}
