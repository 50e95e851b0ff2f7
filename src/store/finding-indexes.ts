import { type Kysely, sql } from 'kysely';

/**
 * The findings table's secondary indexes (views and exports filter by status, host and CVE). They are
 * listed once here because a first full sync into an empty table drops and rebuilds them: building
 * an index over millions of sorted rows is several times cheaper than updating it row by row
 * (design.md 7), and every open re-creates any that a killed load left missing.
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

export async function dropFindingIndexes(db: Kysely<unknown>): Promise<void> {
  for (const index of FINDING_SECONDARY_INDEXES) await db.schema.dropIndex(index.name).ifExists().execute();
}

/** True when no connector has any finding: the only time dropping the indexes costs no reader anything. */
export async function findingsTableEmpty(db: Kysely<unknown>): Promise<boolean> {
  const row = await sql<{ one: number }>`select 1 as one from findings limit 1`.execute(db);
  return row.rows.length === 0;
}
