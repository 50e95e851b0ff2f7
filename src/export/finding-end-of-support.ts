import type { Kysely } from 'kysely';
import { installKey } from '../normalize/finding-key.js';
import { chunk } from '../store/db/chunk.js';

type AnyDb = Kysely<Record<string, Record<string, unknown>>>;

/** Defender's end of support of one installed piece of software. */
export interface EndOfSupport {
  status: unknown;
  date: unknown;
}

/**
 * Which installed-software row a record (a finding, or an installed-software record) stands for:
 * its connector and install key, made from its machine, vendor, product and version.
 */
export function installOf(r: Record<string, unknown>): string {
  return `${Number(r.connectorId)}|${installKey(
    String(r.machineId ?? ''),
    String(r.softwareVendor ?? ''),
    String(r.softwareName ?? ''),
    String(r.softwareVersion ?? ''),
  )}`;
}

/**
 * Adds Defender's end of support to exported findings (docs/data-model.md#finding), read from the
 * software inventory the connector collected: the installed-software row of the same connector,
 * device, vendor, product and version. Without that row (the `installed-software` data type not
 * collected, or non-CPE software, which MDE gives no end of support) both stay null.
 *
 * `knownInstalls`: installed-software rows already read (or being read beside these), by
 * {@link installOf}; only the others are read.
 */
export async function withEndOfSupport(
  db: AnyDb,
  rows: Record<string, unknown>[],
  knownInstalls?: ReadonlyMap<string, EndOfSupport> | Promise<ReadonlyMap<string, EndOfSupport>>,
) {
  const known = await knownInstalls;
  const found = new Map<string, EndOfSupport>();
  const byConnector = new Map<number, Set<string>>();
  const installs = rows.map((r) =>
    r.connectorId === null || r.connectorId === undefined ? undefined : installOf(r),
  );
  rows.forEach((r, i) => {
    const install = installs[i];
    if (install === undefined) return;
    const eos = known?.get(install);
    if (eos) {
      found.set(install, eos);
      return;
    }
    const connectorId = Number(r.connectorId);
    const keys = byConnector.get(connectorId) ?? new Set<string>();
    byConnector.set(connectorId, keys);
    keys.add(install.slice(install.indexOf('|') + 1));
  });
  for (const [connectorId, keys] of byConnector) {
    for (const part of chunk([...keys], 500)) {
      const read = await db
        .selectFrom('installedSoftware')
        .select(['installKey', 'endOfSupportStatus', 'endOfSupportDate'])
        .where('connectorId', '=', connectorId)
        .where('installKey', 'in', part)
        .execute();
      for (const i of read)
        found.set(`${connectorId}|${String(i.installKey)}`, {
          status: i.endOfSupportStatus,
          date: i.endOfSupportDate,
        });
    }
  }
  // In place, as every enrichment of a page (read-records.ts).
  rows.forEach((r, i) => {
    const install = installs[i];
    const eos = install === undefined ? undefined : found.get(install);
    r.endOfSupportStatus = eos?.status ?? null;
    r.endOfSupportDate = eos?.date ?? null;
  });
  return rows;
}
