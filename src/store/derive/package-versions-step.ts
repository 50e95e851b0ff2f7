import { type Kysely, type RawBuilder, sql } from 'kysely';
import * as z from 'zod';
import { packageVersions } from '../../normalize/package-versions.js';
import { bulkUpdate } from '../db/bulk-update.js';
import { withDiskSorts } from '../db/disk-sorts.js';
import type { Store } from '../db/store.js';
import { CheckpointRepository } from '../runs/checkpoint-repository.js';

/**
 * Fills each software package's `versions` (docs/data-model.md#software): its installed versions and
 * on how many devices each is, from what the sync already stored, with no call per package. The
 * software inventory lists every install, so it decides when the connector holds any; a connector
 * that does not collect it counts the devices of each version in its open findings instead (the
 * vulnerable installs only). One GROUP BY, a map keyed by package in memory, writes in batches.
 */
export async function derivePackageVersions(store: Store, connectorId: number, at: string): Promise<number> {
  const db = store.db.withoutPlugins() as Kysely<unknown>;
  const packages = (
    await sql`SELECT id FROM software WHERE connector_id = ${connectorId}`.execute(db)
  ).rows.map((r) => String((r as { id: unknown }).id));
  // A connector that does not collect the software catalog has no package to describe.
  if (packages.length === 0) return 0;
  const hasInventory = await any(
    db,
    sql`SELECT 1 AS x FROM installed_software WHERE connector_id = ${connectorId} AND status = 'present' LIMIT 1`,
  );
  // From findings, the scan is skipped when no finding and no package changed since the last
  // derivation (findings_updated index): a re-sync of an unchanged snapshot costs no scan of findings.
  const checkpoints = new CheckpointRepository(store);
  const last = await checkpoints.read(connectorId, PACKAGE_VERSIONS_CHECKPOINT, DerivedAt);
  if (!hasInventory && last && 'value' in last && last.value.from === 'findings') {
    const since = last.value.derivedAt;
    const changed =
      (await any(
        db,
        sql`SELECT 1 AS x FROM findings WHERE connector_id = ${connectorId} AND updated_at >= ${since} LIMIT 1`,
      )) ||
      (await any(
        db,
        sql`SELECT 1 AS x FROM software WHERE connector_id = ${connectorId} AND updated_at >= ${since} LIMIT 1`,
      ));
    if (!changed) return 0;
  }
  const findings =
    store.dialect === 'sqlite' ? sql.raw('findings AS f NOT INDEXED') : sql.raw('findings AS f');
  const groups = await withDiskSorts(store, () =>
    hasInventory
      ? sql`SELECT software_vendor AS vendor, software_name AS name, software_version AS version,
          COUNT(DISTINCT machine_id) AS devices
        FROM installed_software WHERE connector_id = ${connectorId} AND status = 'present'
        GROUP BY software_vendor, software_name, software_version`.execute(db)
      : sql`SELECT s.vendor AS vendor, s.name AS name, s.version AS version,
          COUNT(DISTINCT f.device_id) AS devices
        FROM ${findings} JOIN finding_software AS s ON s.id = f.software_id
        WHERE f.connector_id = ${connectorId} AND f.status = 'open'
        GROUP BY s.vendor, s.name, s.version`.execute(db),
  );
  // MDE's software id is `vendor-_-name`; matched without regard to case.
  const byPackage = new Map<string, Map<string, number>>();
  for (const g of groups.rows as Array<Record<string, unknown>>) {
    const id = `${String(g.vendor)}-_-${String(g.name)}`.toLowerCase();
    const versions = byPackage.get(id) ?? new Map<string, number>();
    byPackage.set(id, versions);
    versions.set(String(g.version), Number(g.devices));
  }
  const updates = packages.map((id) => [
    connectorId,
    id,
    JSON.stringify(packageVersions(byPackage.get(id.toLowerCase()) ?? new Map())),
  ]);
  await bulkUpdate(
    store,
    {
      table: 'software',
      keys: [
        { name: 'connector_id', type: 'integer' },
        { name: 'id', type: 'text' },
      ],
      columns: [{ name: 'versions', type: 'text' }],
    },
    updates,
  );
  await checkpoints.put(
    connectorId,
    PACKAGE_VERSIONS_CHECKPOINT,
    { derivedAt: at, from: hasInventory ? 'inventory' : 'findings' },
    at,
  );
  return updates.length;
}

/** Where the time of the last derivation is kept (`sync_checkpoints`). */
const PACKAGE_VERSIONS_CHECKPOINT = 'package-versions';
const DerivedAt = z.object({ derivedAt: z.string(), from: z.enum(['inventory', 'findings']) });

async function any(db: Kysely<unknown>, query: RawBuilder<unknown>): Promise<boolean> {
  return (await query.execute(db)).rows.length > 0;
}
