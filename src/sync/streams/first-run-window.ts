import { type ConnectorOptions, DEFAULT_ALERT_LOOKBACK_DAYS } from '../../normalize/connector-options.js';

const DAY_MS = 86_400_000;

/**
 * The instant before which the first run's alerts are not read (docs/connector-options.md): the
 * connector's `initialLookbackDays`, or {@link DEFAULT_ALERT_LOOKBACK_DAYS} when it is not set.
 */
export function firstRunAlertsFrom(options: ConnectorOptions, nowMs: number): Date {
  return new Date(nowMs - (options.initialLookbackDays ?? DEFAULT_ALERT_LOOKBACK_DAYS) * DAY_MS);
}

/**
 * The instant before which a device's last report keeps it out of the first run, only when the user
 * set `initialLookbackDays`; later runs, and a first run without the option, are not bounded.
 */
export function firstRunDevicesFrom(
  options: ConnectorOptions,
  firstRun: boolean,
  nowMs: number,
): number | undefined {
  if (!firstRun || options.initialLookbackDays === undefined) return undefined;
  return nowMs - options.initialLookbackDays * DAY_MS;
}

/** Whether a device last seen at `lastSeen` (ISO text, or none) reported within the window. */
export function seenSince(lastSeen: string | null | undefined, fromMs: number): boolean {
  const seen = lastSeen ? Date.parse(lastSeen) : Number.NaN;
  return !Number.isNaN(seen) && seen >= fromMs;
}
