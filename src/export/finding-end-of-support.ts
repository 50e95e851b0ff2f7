import type { Kysely } from 'kysely';
import { installKey } from '../normalize/finding-key.js';
import { chunk } from '../store/db/chunk.js';

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

/**
 * Adds Defender's end of support to exported findings (docs/data-model.md#finding), read from the
 * software inventory the connector collected: the installed-software row of the same connector,
 * device, vendor, product and version. Without that row (the `installed-software` data type not
 * collected, or non-CPE software, which MDE gives no end of support) both stay null.
 */
export async function withEndOfSupport(db: AnyDb, rows: Record<string, unknown>[]) {
  const keyOf = (r: Record<string, unknown>) =>
    installKey(
      String(r.machineId ?? ''),
      String(r.softwareVendor ?? ''),
      String(r.softwareName ?? ''),
      String(r.softwareVersion ?? ''),
    );
  const byConnector = new Map<number, Set<string>>();
  for (const r of rows) {
    if (r.connectorId === null || r.connectorId === undefined) continue;
    const connectorId = Number(r.connectorId);
    const keys = byConnector.get(connectorId) ?? new Set<string>();
    byConnector.set(connectorId, keys);
    keys.add(keyOf(r));
  }
  const found = new Map<string, { status: unknown; date: unknown }>();
  for (const [connectorId, keys] of byConnector) {
    for (const part of chunk([...keys], 500)) {
      const installs = await db
        .selectFrom('installedSoftware')
        .select(['installKey', 'endOfSupportStatus', 'endOfSupportDate'])
        .where('connectorId', '=', connectorId)
        .where('installKey', 'in', part)
        .execute();
      for (const i of installs)
        found.set(`${connectorId}|${String(i.installKey)}`, {
          status: i.endOfSupportStatus,
          date: i.endOfSupportDate,
        });
    }
  }
  // In place, as every enrichment of a page (read-records.ts).
  for (const r of rows) {
    const eos = found.get(`${Number(r.connectorId)}|${keyOf(r)}`);
    r.endOfSupportStatus = eos?.status ?? null;
    r.endOfSupportDate = eos?.date ?? null;
  }
  return rows;
}
