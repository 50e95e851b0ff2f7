import { type Kysely, sql } from 'kysely';
import type { SqlDialect } from '../db/sql-dialect.js';

/**
 * The findings table's secondary indexes, besides its key (connector, device, software, CVE): views
 * and exports filter by status and severity, host risk and host merges by host, definitions by CVE.
 * Each one costs every finding insert a B-tree update (docs/benchmarks.md#targets), so add one only
 * for a query that needs it.
 *
 * `deferredOnFirstLoad`: rows arrive grouped by device, so the key grows at its end, but CVE ids and
 * host ids arrive in another order and every insert lands on a random page of their index, which costs
 * far more than building the index once after the load (docs/benchmarks.md); a first load into an
 * empty table therefore builds them afterwards (see first-load-indexes.ts).
 */
export const FINDING_SECONDARY_INDEXES = [
  { name: 'findings_status', columns: ['connector_id', 'status', 'severity'], deferredOnFirstLoad: false },
  { name: 'findings_host', columns: ['host_id'], deferredOnFirstLoad: true },
  { name: 'findings_cve', columns: ['cve_id'], deferredOnFirstLoad: true },
] as const;

export async function createFindingIndexes<DB>(db: Kysely<DB>): Promise<void> {
  for (const index of FINDING_SECONDARY_INDEXES) {
    await db.schema
      .createIndex(index.name)
      .ifNotExists()
      .on('findings')
      .columns([...index.columns])
      .execute();
  }
}

/** Names of the secondary indexes the findings table lacks, read from the catalog (no lock taken). */
export async function missingFindingIndexes<DB>(db: Kysely<DB>, dialect: SqlDialect): Promise<string[]> {
  const present =
    dialect === 'sqlite'
      ? await sql<{
          name: string;
        }>`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'findings'`.execute(db)
      : await sql<{
          name: string;
        }>`SELECT indexname AS name FROM pg_indexes WHERE tablename = 'findings' AND schemaname = current_schema()`.execute(
          db,
        );
  const names = new Set(present.rows.map((r) => r.name));
  return FINDING_SECONDARY_INDEXES.filter((i) => !names.has(i.name)).map((i) => i.name);
}
