import { type KnownHost, readRecordPage } from '../export/read-records.js';
import type { Store } from '../store/db/store.js';
import { parseFindingId } from '../store/findings/finding-id.js';
import { selectFindings } from '../store/findings/finding-repository.js';

/**
 * Every read of findings the API makes outside the generic lists, in one place, each through the
 * findings repository (store/findings/finding-repository.ts), which alone knows how they are stored.
 */

/** A finding as `mdec export findings` writes it (with its id), by id (store/findings/finding-id.ts). */
export async function findingById(store: Store, id: string): Promise<Record<string, unknown> | undefined> {
  const key = parseFindingId(id);
  if (!key) return undefined;
  const page = await readRecordPage(store, 'findings', {
    equals: {
      connectorId: key.connectorId,
      deviceId: key.deviceId,
      softwareId: key.softwareId,
      cveId: key.cveId,
    },
    limit: 1,
  });
  return page.records[0];
}

/** A host's open findings, most severe first, at most `limit`; `host`: what the caller read of the host. */
export async function openFindingsOfHost(
  store: Store,
  host: KnownHost,
  limit: number,
): Promise<{ items: Record<string, unknown>[]; more: boolean }> {
  const page = await readRecordPage(store, 'findings', {
    equals: { hostId: host.id, status: 'open' },
    knownHost: host,
    // A finding's score is NOT NULL (the findings table's schema).
    sort: { column: 'score', descending: true, neverNull: true },
    limit,
  });
  return { items: page.records, more: page.next !== null };
}

/** The scores of a host's open findings: the vulnerability input of its risk (normalize/host-risk.ts). */
export async function openFindingScores(store: Store, hostId: number): Promise<number[]> {
  const rows = await selectFindings(store)
    .select('score')
    .where('hostId', '=', hostId)
    .where('status', '=', 'open')
    .execute();
  return rows.map((r) => Number(r.score));
}

/** How many open findings a CVE has. */
export async function openFindingCountOfCve(store: Store, cveId: string): Promise<number> {
  const row = await selectFindings(store)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('cveId', '=', cveId)
    .where('status', '=', 'open')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
