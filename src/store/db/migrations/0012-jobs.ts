import type { Kysely } from 'kysely';
import type { SqlDialect } from '../sql-dialect.js';

/**
 * Schedules and the job runner (docs/scheduling.md): a schedule's start and end dates, the slot a
 * scheduler last consumed, the suspension after failed runs in a row, a cancel request on a run,
 * and the queue table through which any process hands runs to the worker of a SQLite store.
 */
export function jobsSchema(dialect: SqlDialect) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      for (const column of [
        'schedule_start',
        'schedule_end',
        'scheduled_through',
        'suspended_at',
        'suspended_reason',
      ])
        await db.schema.alterTable('connectors').addColumn(column, 'text').execute();
      await db.schema
        .alterTable('connectors')
        .addColumn('failed_runs_in_row', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.alterTable('sync_runs').addColumn('cancel_requested_at', 'text').execute();

      await db.schema
        .createTable('job_queue')
        .addColumn('id', 'integer', (c) =>
          dialect === 'sqlite'
            ? c.primaryKey().autoIncrement()
            : c.primaryKey().generatedByDefaultAsIdentity(),
        )
        .addColumn('run_id', 'integer', (c) =>
          c.notNull().unique().references('sync_runs.id').onDelete('cascade'),
        )
        .addColumn('connector_id', 'integer', (c) =>
          c.notNull().references('connectors.id').onDelete('cascade'),
        )
        .addColumn('run_after', 'text', (c) => c.notNull())
        .addColumn('locked_by', 'text')
        .addColumn('locked_until', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('job_queue_run_after').on('job_queue').column('run_after').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('job_queue').ifExists().execute();
    },
  };
}
