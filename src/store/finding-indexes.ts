import type { Kysely } from 'kysely';

/**
 * The findings table's secondary indexes: views and exports filter by status, host and CVE. Each one
 * costs every finding insert a B-tree update (design.md 7), so add one only for a query that needs it.
 */
export const FINDING_SECONDARY_INDEXES = [
  { name: 'findings_status', columns: ['connector_id', 'status', 'severity'] },
  { name: 'findings_host', columns: ['host_id'] },
  { name: 'findings_cve', columns: ['cve_id'] },
] as const;

export async function createFindingIndexes(db: Kysely<unknown>): Promise<void> {
  for (const index of FINDING_SECONDARY_INDEXES) {
    await db.schema
      .createIndex(index.name)
      .ifNotExists()
      .on('findings')
      .columns([...index.columns])
      .execute();
  }
}
