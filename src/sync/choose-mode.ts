import type { ConnectorOptions } from '../normalize/connector-options.js';
import { MAX_DELTA_WINDOW_MS } from './streams/vulnerabilities-delta-stream.js';
import type { VulnerabilityWatermark } from './streams/vulnerability-watermark.js';

export type RequestedMode = 'full' | 'delta' | 'auto';

/**
 * Which kind of sync to run when the caller lets us choose (docs/sync.md#full-or-delta: a cadence of fulls
 * with deltas between). Full when there is nothing to start a delta from, when an interrupted full pass
 * is waiting to resume, when the cadence says so, or when the change feed cannot reach back far enough.
 */
export function chooseMode(input: {
  requested: RequestedMode;
  options: ConnectorOptions;
  watermark: VulnerabilityWatermark | undefined;
  interruptedFullPass: boolean;
  now: number;
}): { mode: 'full' | 'delta'; reason: string } {
  const { requested, options, watermark, now } = input;
  if (requested === 'full') return { mode: 'full', reason: 'asked for' };
  if (requested === 'auto' && input.interruptedFullPass)
    return { mode: 'full', reason: 'resuming an interrupted full sync' };
  const collectsVulnerabilities = options.dataTypes.includes('vulnerabilities');
  if (!watermark || !collectsVulnerabilities) {
    if (requested === 'delta' && collectsVulnerabilities) {
      return { mode: 'full', reason: 'no complete full sync yet: a delta needs one to start from' };
    }
    return { mode: requested === 'delta' ? 'delta' : 'full', reason: 'first sync' };
  }
  const since = Date.parse(watermark.time) - options.deltaOverlapHours * 3_600_000;
  if (now - since > MAX_DELTA_WINDOW_MS) {
    return { mode: 'full', reason: 'the last good sync is older than the 14 days the change feed keeps' };
  }
  if (requested === 'delta') return { mode: 'delta', reason: 'asked for' };
  if (now - Date.parse(watermark.lastFullAt) >= options.fullSyncEveryDays * 86_400_000) {
    return { mode: 'full', reason: `the last full sync is ${options.fullSyncEveryDays} or more days old` };
  }
  return { mode: 'delta', reason: 'a full sync is recent enough' };
}
