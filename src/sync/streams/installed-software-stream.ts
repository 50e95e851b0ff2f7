import { readExportFileBatches } from '../../mde/export/export-file-reader.js';
import { type ExportEndpoint, requestExport } from '../../mde/export/export-request.js';
import { ExportFileError } from '../../mde/mde-errors.js';
import { parseRecord } from '../../mde/parse/parse-record.js';
import { InventoryRowSchema } from '../../mde/schemas/inventory-row.js';
import { NonCpeInventoryRowSchema } from '../../mde/schemas/non-cpe-inventory-row.js';
import type { KeyedRecord } from '../../normalize/model.js';
import { normalizeInstalledSoftware, normalizeNonCpeSoftware } from '../../normalize/normalize-catalogs.js';
import { reject, type SyncContext } from '../sync-context.js';

export const INSTALLED_SOFTWARE_STREAM = 'installed-software';
const FILE_ATTEMPTS = 3;

/**
 * Installed software (mde-api.md 5): the CPE inventory export and the non-CPE one, streamed file by
 * file. There is no delta feed for software, so each run reads the snapshot; software no longer
 * reported is marked `removed` only after every file of both exports was read.
 */
export async function syncInstalledSoftware(ctx: SyncContext): Promise<void> {
  const counters = ctx.counters(INSTALLED_SOFTWARE_STREAM);
  ctx.progress.start(INSTALLED_SOFTWARE_STREAM);
  const hostIdOf = (machineId: string) => ctx.hostIndex.get(machineId) ?? null;
  const o = ctx.connector.options;
  const keepSoftware = (vendor: string, name: string) =>
    (!o.softwareVendor || vendor.toLowerCase() === o.softwareVendor.toLowerCase()) &&
    (!o.softwareName || name.toLowerCase() === o.softwareName.toLowerCase()) &&
    (!o.softwareId || `${vendor}-_-${name}`.toLowerCase() === o.softwareId.toLowerCase());
  const failed: string[] = [];
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
  for (const [endpoint, toRow] of exports) {
    let exported = await requestExport(ctx.client, endpoint, { sasValidHours: o.sasValidHours });
    for (let i = 0; i < exported.files.length; i++) {
      for (let attempt = 1; ; attempt++) {
        try {
          for await (const records of readExportFileBatches(ctx.client.transport, exported.files[i]!, {
            batchSize: 5_000,
            onRejected: (reason) => reject(counters, reason),
            ...(ctx.signal ? { signal: ctx.signal } : {}),
          })) {
            const rows: KeyedRecord[] = [];
            for (const raw of records) {
              counters.fetched++;
              const row = toRow(raw);
              if (typeof row === 'string') reject(counters, row);
              else if (row && (!ctx.deviceFilterActive || ctx.hostIndex.has(String(row.values.machineId))))
                rows.push(row);
            }
            const result = await ctx.keyed.writeBatch(
              'installedSoftware',
              { connectorId: ctx.connector.id, seenToken: ctx.runId, at: ctx.now().toISOString() },
              rows,
            );
            counters.inserted += result.inserted;
            counters.updated += result.updated;
            counters.unchanged += result.unchanged;
            ctx.progress.update(INSTALLED_SOFTWARE_STREAM, counters.fetched);
          }
          break;
        } catch (err) {
          if (!(err instanceof ExportFileError) || attempt >= FILE_ATTEMPTS) {
            if (err instanceof ExportFileError) {
              failed.push(`${endpoint} file ${i + 1}: ${err.message}`);
              break;
            }
            throw err;
          }
          // Rows already written are upserted again on the retry: harmless, the hash makes them no-ops.
          if (err.expired)
            exported = await requestExport(ctx.client, endpoint, { sasValidHours: o.sasValidHours });
        }
      }
    }
  }
  if (failed.length > 0) {
    counters.outcome = 'partial';
    counters.problem = `not every inventory file could be read: ${failed.join('; ')}`;
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
