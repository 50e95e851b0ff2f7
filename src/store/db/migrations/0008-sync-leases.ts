import type { Kysely } from 'kysely';

/**
 * One sync lease per connector: the primary key on the connector is what makes taking a lease
 * atomic (an insert, or an update of an expired row, in one statement), on SQLite and PostgreSQL.
 */
export function syncLeasesSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('sync_leases')
        .addColumn('connector_id', 'integer', (c) =>
          c.primaryKey().references('connectors.id').onDelete('cascade'),
        )
        .addColumn('token', 'text', (c) => c.notNull())
        .addColumn('run_id', 'integer')
        .addColumn('owner_host', 'text', (c) => c.notNull())
        .addColumn('owner_pid', 'integer', (c) => c.notNull())
        .addColumn('acquired_at', 'text', (c) => c.notNull())
        .addColumn('heartbeat_at', 'text', (c) => c.notNull())
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('sync_leases').ifExists().execute();
    },
  };
}
