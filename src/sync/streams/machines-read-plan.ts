import * as z from 'zod';
import { IsoTimeSchema } from '../iso-time-schema.js';
/**
 * Which devices a run's machines stream reads (docs/mde-api.md#reading-strategy, devices row): MDE has no
 * change feed for machines, but `lastSeen` (the device's last full report, docs/mde-api.md#lastseen) can be
 * filtered on. A sweep reads every device: it also catches what changes without a report (health status
 * turning Inactive, risk score, exposure level, tags). Between sweeps a delta run asks only for devices whose
 * `lastSeen` moved since the last read, which at 100,000 devices is a fraction of the pages and of the
 * writes. Full runs always sweep, and so does any run once the last sweep is older than the connector's
 * `deviceSweepHours` (default 24, the daily sweep docs/mde-api.md#reading-strategy advises; 0 sweeps every
 * run).
 */

/** Stored with the machines stream's checkpoints after each complete read. */
/** Where the device reads got to; validated when read back (a stored value is never trusted by type). */
export const MachinesWatermarkSchema = z.object({
  /** The run of the last complete sweep: every device in scope was marked seen by it or later. */
  sweepRunId: z.number().int(),
  /** When that sweep started (ISO). */
  sweepAt: IsoTimeSchema,
  /** When the last complete read of either kind started (ISO). */
  readAt: IsoTimeSchema,
  /** The connector's device scope (filter, tags) at the sweep; a changed scope needs a new sweep. */
  scope: z.string(),
});
export type MachinesWatermark = z.infer<typeof MachinesWatermarkSchema>;

export const MACHINES_WATERMARK = 'machines:watermark';

/**
 * A report becomes visible some time after the device sent it, with the `lastSeen` of when it was
 * sent; reads reach back this far before the last one so a late report is not skipped.
 */
export const LAST_SEEN_OVERLAP_MS = 2 * 3_600_000;

export type MachinesReadPlan =
  | { kind: 'sweep'; reason: string }
  | { kind: 'changed'; since: string; sweepRunId: number; nextSweepAt: string };

export function planMachinesRead(input: {
  mode: 'full' | 'delta';
  watermark: MachinesWatermark | undefined;
  sweepHours: number;
  /** The connector's device scope now, as {@link deviceScope} gives it. */
  scope: string;
  now: number;
}): MachinesReadPlan {
  const { mode, watermark, sweepHours, now } = input;
  if (mode === 'full') return { kind: 'sweep', reason: 'a full sync reads every device' };
  if (!watermark) return { kind: 'sweep', reason: 'no complete device sweep yet' };
  if (watermark.scope !== input.scope)
    return { kind: 'sweep', reason: 'the device filter or tags changed since the last sweep' };
  if (sweepHours === 0)
    return { kind: 'sweep', reason: 'deviceSweepHours is 0: every run reads every device' };
  const nextSweep = Date.parse(watermark.sweepAt) + sweepHours * 3_600_000;
  if (!(now < nextSweep))
    return { kind: 'sweep', reason: `the last device sweep is ${sweepHours} or more hours old` };
  return {
    kind: 'changed',
    since: new Date(Date.parse(watermark.readAt) - LAST_SEEN_OVERLAP_MS).toISOString(),
    sweepRunId: watermark.sweepRunId,
    nextSweepAt: new Date(nextSweep).toISOString(),
  };
}

/** The options that decide which devices a connector keeps, as one comparable string. */
export function deviceScope(options: {
  filter?: string | undefined;
  tags: readonly string[];
  staleDays: number;
}): string {
  return JSON.stringify([options.filter ?? null, [...options.tags].sort(), options.staleDays]);
}
