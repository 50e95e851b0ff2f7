import { type ColumnDefinitionBuilder, type Kysely, sql } from 'kysely';
import type { SqlDialect } from '../sql-dialect.js';

/**
 * Machine actions requested through the connector, and the audit log (docs/actions.md,
 * docs/audit-log.md).
 *
 * `machine_actions` of the first schema was never written; it is replaced by one row per request
 * made here, keyed by our own id (a request MDE refused has no MDE id), which outlives the connector
 * and the host it was for: an action history must not vanish when a connector is removed.
 *
 * `audit_log` is append-only: triggers refuse every UPDATE and DELETE, on SQLite and PostgreSQL, so
 * no code path (and no hand-written statement through the application's role) can rewrite history.
 */
export function machineActionsAndAuditLogSchema(dialect: SqlDialect) {
  // SQLite wants INTEGER PRIMARY KEY AUTOINCREMENT; PostgreSQL an identity column (as 0001).
  const id = (c: ColumnDefinitionBuilder) =>
    dialect === 'sqlite' ? c.primaryKey().autoIncrement() : c.primaryKey().generatedByDefaultAsIdentity();
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('machine_actions').ifExists().execute();
      await db.schema
        .createTable('machine_actions')
        .addColumn('id', 'integer', id)
        .addColumn('connector_id', 'integer', (c) => c.references('connectors.id').onDelete('set null'))
        .addColumn('connector_name', 'text', (c) => c.notNull())
        .addColumn('host_id', 'integer', (c) => c.references('hosts.id').onDelete('set null'))
        .addColumn('machine_id', 'text', (c) => c.notNull())
        .addColumn('host_name', 'text')
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('action_type', 'text')
        .addColumn('comment', 'text', (c) => c.notNull())
        .addColumn('requested_by', 'text', (c) => c.notNull())
        .addColumn('requested_via', 'text', (c) => c.notNull())
        .addColumn('requested_at', 'text', (c) => c.notNull())
        .addColumn('mde_action_id', 'text')
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('mde_requestor', 'text')
        .addColumn('last_update_at', 'text')
        .addColumn('checked_at', 'text')
        .addColumn('raw', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute();
      await db.schema
        .createIndex('machine_actions_machine')
        .on('machine_actions')
        .columns(['machine_id', 'id'])
        .execute();
      await db.schema
        .createIndex('machine_actions_host')
        .on('machine_actions')
        .columns(['host_id', 'id'])
        .execute();
      await db.schema
        .createIndex('machine_actions_mde')
        .on('machine_actions')
        .column('mde_action_id')
        .execute();

      await db.schema
        .createTable('audit_log')
        .addColumn('id', 'integer', id)
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('actor_kind', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target_kind', 'text', (c) => c.notNull())
        .addColumn('target', 'text', (c) => c.notNull())
        .addColumn('connector_name', 'text')
        .addColumn('before', 'text')
        .addColumn('after', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('detail', 'text')
        .execute();
      await db.schema.createIndex('audit_log_at').on('audit_log').columns(['at', 'id']).execute();

      if (dialect === 'sqlite') {
        for (const verb of ['UPDATE', 'DELETE']) {
          await sql
            .raw(
              `CREATE TRIGGER audit_log_no_${verb.toLowerCase()} BEFORE ${verb} ON audit_log ` +
                `BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END`,
            )
            .execute(db);
        }
      } else {
        await sql
          .raw(
            `CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$`,
          )
          .execute(db);
        await sql
          .raw(
            `CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
             FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()`,
          )
          .execute(db);
      }
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('audit_log').ifExists().execute();
      if (dialect === 'postgres')
        await sql.raw('DROP FUNCTION IF EXISTS audit_log_append_only()').execute(db);
      await db.schema.dropTable('machine_actions').ifExists().execute();
    },
  };
}
