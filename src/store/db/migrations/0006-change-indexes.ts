import type { Kysely } from 'kysely';

/**
 * Indexes that let a run find what it changed without reading every row (docs/benchmarks.md#targets: a delta
 * sync of 1% changes under a tenth of a full sync). After a run, host risk is recomputed for the hosts
 * whose findings it wrote (`updated_at` at or after the run's start) and for hosts never scored.
 * Within a connector `updated_at` only grows as rows are written, so the findings index is appended
 * at its right edge and costs the full sync's inserts little.
 */
export function changeIndexesSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createIndex('findings_updated')
        .ifNotExists()
        .on('findings')
        .columns(['connector_id', 'updated_at'])
        .execute();
      await db.schema
        .createIndex('hosts_risk_changed')
        .ifNotExists()
        .on('hosts')
        .column('risk_changed_at')
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('hosts_risk_changed').ifExists().execute();
      await db.schema.dropIndex('findings_updated').ifExists().execute();
    },
  };
}
