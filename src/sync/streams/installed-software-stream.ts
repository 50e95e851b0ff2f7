import type { ExportEndpoint } from '../../mde/export/export-request.js';
import { ExportSnapshotReader } from '../../mde/export/export-snapshot-reader.js';
import { parseRecord } from '../../mde/parse/parse-record.js';
import { InventoryRowSchema } from '../../mde/schemas/inventory-row.js';
import { NonCpeInventoryRowSchema } from '../../mde/schemas/non-cpe-inventory-row.js';
import type { KeyedRecord } from '../../normalize/model.js';
import { normalizeInstalledSoftware, normalizeNonCpeSoftware } from '../../normalize/normalize-catalogs.js';
import { describeFailedFile, exportPassProblem } from '../export-pass-outcome.js';
import { leaveOut, reject, type SyncContext, storeKeyedBatch } from '../sync-context.js';
import { DEVICES_LEFT_OUT } from './finding-filters.js';

export const INSTALLED_SOFTWARE_STREAM = 'installed-software';

/**
 * Installed software: the CPE inventory export and the non-CPE one, each read through the
 * export-snapshot reader. There is no delta feed for software, so each run reads the snapshot;
 * software no longer reported is marked `removed` only after every file of both exports was read and
 * every row of them stored (docs/export-files.md).
 */
export async function syncInstalledSoftware(ctx: SyncContext): Promise<void> {
  const counters = ctx.counters(INSTALLED_SOFTWARE_STREAM);
  ctx.progress.start(INSTALLED_SOFTWARE_STREAM);
  const hostIdOf = (machineId: string) => ctx.hostIndex.get(machineId) ?? null;
  const o = ctx.connector.options;
  /** The software options, as on findings; each row left out is counted with the option's name. */
  const keepSoftware = (vendor: string, name: string) => {
    let reason: string | undefined;
    if (o.softwareVendor && vendor.toLowerCase() !== o.softwareVendor.toLowerCase())
      reason = 'other vendors than --software-vendor';
    else if (o.softwareName && name.toLowerCase() !== o.softwareName.toLowerCase())
      reason = 'other software than --software-name';
    else if (o.softwareId && `${vendor}-_-${name}`.toLowerCase() !== o.softwareId.toLowerCase())
      reason = 'other software than --software-id';
    if (reason) leaveOut(counters, reason);
    return reason === undefined;
  };
  const exports: Array<[ExportEndpoint, (raw: unknown) => KeyedRecord | string | null]> = [
    [
      'SoftwareInventoryExport',
      (raw) => {
        const p = parseRecord(InventoryRowSchema, raw);
        if (!p.ok) return p.reason;
        return keepSoftware(p.value.softwareVendor, p.value.softwareName)
          ? normalizeInstalledSoftware(p.value, hostIdOf)
          : null;
      },
    ],
    [
      'SoftwareInventoryNonCpeExport',
      (raw) => {
        const p = parseRecord(NonCpeInventoryRowSchema, raw);
        if (!p.ok) return p.reason;
        return keepSoftware(p.value.softwareVendor ?? '', p.value.softwareName)
          ? normalizeNonCpeSoftware(p.value, hostIdOf)
          : null;
      },
    ],
  ];
  const failedFiles: string[] = [];
  for (const [endpoint, toRow] of exports) {
    const reader = new ExportSnapshotReader(ctx.client, endpoint, {
      sasValidHours: o.sasValidHours,
      batchSize: 5_000,
      note: (message) => ctx.progress.note(message),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    await reader.read(await reader.request(), {
      // Each batch is stored before the next is read, so another attempt at a file starts after it.
      records: async (records) => {
        const rows: KeyedRecord[] = [];
        for (const raw of records) {
          counters.fetched++;
          const row = toRow(raw);
          if (typeof row === 'string') reject(counters, row);
          else if (!row) continue;
          else if (ctx.deviceFilterActive && !ctx.hostIndex.has(String(row.values.machineId)))
            leaveOut(counters, DEVICES_LEFT_OUT);
          else rows.push(row);
        }
        await storeKeyedBatch(ctx, INSTALLED_SOFTWARE_STREAM, 'installedSoftware', rows);
      },
      badLine: (reason) => {
        counters.fetched++;
        reject(counters, reason);
      },
      fileFailed: (failure) => {
        failedFiles.push(describeFailedFile(endpoint, failure));
      },
    });
  }
  const problem = exportPassProblem({ failedFiles, rejected: counters.rejected });
  if (problem) {
    counters.outcome = 'partial';
    counters.problem = problem;
    return;
  }
  counters.closed += await ctx.keyed.sweep(
    'installedSoftware',
    ctx.connector.id,
    ctx.runId,
    ctx.now().toISOString(),
  );
  counters.outcome = 'complete';
}
