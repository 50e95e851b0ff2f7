import { odataPages } from '../../mde/paging/odata-pages.js';
import { parseRecord } from '../../mde/parse/parse-record.js';
import { MachineSchema } from '../../mde/schemas/machine.js';
import type { NormalizedMachine } from '../../normalize/model.js';
import { normalizeMachine } from '../../normalize/normalize-machine.js';
import { leaveOut, reject, type SyncContext } from '../sync-context.js';
import { firstRunDevicesFrom, seenSince } from './first-run-window.js';
import { firstWindowSpan, lastSeenWindowPages } from './machines-by-last-seen.js';
import {
  deviceScope,
  MACHINES_WATERMARK,
  type MachinesWatermark,
  MachinesWatermarkSchema,
  planMachinesRead,
} from './machines-read-plan.js';

export const MACHINES_STREAM = 'machines';

/**
 * Devices (docs/mde-api.md#machines): the pages of /api/machines, with the connector's OData filter and tag
 * filter, written as hosts and host sources. Every device on a sweep, only those whose lastSeen
 * moved between sweeps (machines-read-plan.ts). Runs first; the other streams attach to its hosts.
 */
export async function syncMachines(ctx: SyncContext): Promise<void> {
  const counters = ctx.counters(MACHINES_STREAM);
  const { options } = ctx.connector;
  const wantedTags = new Set(options.tags.map((t) => t.toLowerCase()));
  const startedAt = ctx.now();
  const scope = deviceScope(options);
  const watermark = await ctx.checkpoints.trusted(
    ctx.connector.id,
    MACHINES_WATERMARK,
    MachinesWatermarkSchema,
    (why) => ctx.progress.note(why),
  );
  const plan = planMachinesRead({
    mode: ctx.mode,
    watermark,
    sweepHours: options.deviceSweepHours,
    scope,
    now: startedAt.getTime(),
  });
  // A first run bounded by --initial-lookback-days keeps older devices out, and so their records.
  const devicesFrom = firstRunDevicesFrom(options, watermark === undefined, startedAt.getTime());
  if (devicesFrom !== undefined) ctx.deviceFilterActive = true;
  ctx.progress.start(MACHINES_STREAM);
  let page = 0;
  let skipped = 0;
  let matched = 0;
  // Half of MDE's $top maximum: a page is held whole (raw, parsed, normalized) while it is written,
  // so the page size bounds the heap (docs/benchmarks.md); 100,000 devices are still 20 calls.
  const pageSize = 5_000;
  const pages: AsyncIterable<unknown[]> =
    plan.kind === 'sweep'
      ? odataPages(ctx.client, 'entity', '/api/machines', {
          pageSize,
          notFoundIsEmpty: true,
          ...(options.filter ? { query: { $filter: options.filter } } : {}),
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        })
      : lastSeenWindowPages(ctx.client, {
          fromMs: Date.parse(plan.since),
          toMs: startedAt.getTime(),
          filter: options.filter,
          pageSize,
          firstSpanMs: firstWindowSpan(await ctx.hosts.sourceCount(ctx.connector.id), pageSize),
          signal: ctx.signal,
        });
  for await (const records of pages) {
    page++;
    const batch: NormalizedMachine[] = [];
    for (const raw of records) {
      counters.fetched++;
      const parsed = parseRecord(MachineSchema, raw);
      if (!parsed.ok) {
        reject(counters, parsed.reason);
        continue;
      }
      const machine = normalizeMachine(parsed.value, ctx.customFields?.host);
      if (wantedTags.size > 0 && !machine.source.machineTags.some((t) => wantedTags.has(t.toLowerCase()))) {
        leaveOut(counters, `devices without any of the tags ${options.tags.join(', ')} (--tags)`);
        continue;
      }
      if (devicesFrom !== undefined && !seenSince(machine.source.lastSeen, devicesFrom)) {
        leaveOut(
          counters,
          `devices not seen in the ${options.initialLookbackDays} days before the first sync (--initial-lookback-days)`,
        );
        continue;
      }
      batch.push(machine);
    }
    const at = ctx.now();
    const result = await ctx.hosts.writeBatch(
      {
        connectorId: ctx.connector.id,
        runId: ctx.runId,
        network: ctx.connector.network,
        at: at.toISOString(),
        staleDays: options.staleDays,
        now: at.getTime(),
        identificationRules: options.identificationRules,
      },
      batch,
      { stream: MACHINES_STREAM, value: { runId: ctx.runId, page } },
    );
    counters.inserted += result.inserted;
    counters.updated += result.updated;
    counters.unchanged += result.unchanged;
    skipped += result.skipped;
    matched += result.matched ?? 0;
    ctx.progress.update(MACHINES_STREAM, counters.fetched);
  }
  if (plan.kind === 'changed')
    counters.note = `read the devices whose lastSeen moved since ${plan.since}; every device is read again at ${plan.nextSweepAt} or in the next full sync`;
  // Devices not stored yet and already past the threshold are never imported; stored ones stay.
  leaveOut(
    counters,
    `new devices not seen for more than ${options.staleDays} days (--stale-days ${options.staleDays})`,
    skipped,
  );
  const addNote = (text: string) => {
    counters.note = counters.note ? `${counters.note}; ${text}` : text;
  };
  if (options.filter) addNote(`only devices matching --filter "${options.filter}" were read`);
  if (devicesFrom !== undefined)
    addNote(
      `first sync: only devices seen since ${new Date(devicesFrom).toISOString()} (--initial-lookback-days); later syncs read every device`,
    );
  if (matched > 0)
    addNote(`${matched} new devices joined hosts another connector reports (identification rules)`);
  const folded = await ctx.hosts.foldMerged(ctx.connector.id, ctx.now().toISOString());
  if (folded > 0) addNote(`${folded} devices Defender merged into another device were folded into its host`);
  // With a device filter, the devices in scope are those the last sweep kept (or seen since).
  const sweepRunId = plan.kind === 'sweep' ? ctx.runId : plan.sweepRunId;
  const index = await ctx.hosts.hostIndex(ctx.connector.id, ctx.deviceFilterActive ? sweepRunId : undefined);
  ctx.hostIndex.clear();
  for (const [machineId, hostId] of index) ctx.hostIndex.set(machineId, hostId);
  await ctx.checkpoints.clear(ctx.connector.id, MACHINES_STREAM);
  const read: MachinesWatermark =
    plan.kind === 'sweep'
      ? { sweepRunId: ctx.runId, sweepAt: startedAt.toISOString(), readAt: startedAt.toISOString(), scope }
      : { ...watermark!, readAt: startedAt.toISOString() };
  await ctx.checkpoints.put(ctx.connector.id, MACHINES_WATERMARK, read, ctx.now().toISOString());
  counters.outcome = 'complete';
}
