import type { Kysely } from 'kysely';

/**
 * `sync_runs.lost_jobs`: how many times a run was found with no job left in the job queue while it
 * waited or after its worker stopped (src/jobs/lost-run-recovery.ts). Such a run is queued again
 * the first time and failed the second, whether it was lost while `queued` or while `processing`;
 * the count survives the run's restarts, which a note on the run would not. Zero for every run.
 */
export function lostJobCountSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .alterTable('sync_runs')
        .addColumn('lost_jobs', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('sync_runs').dropColumn('lost_jobs').execute();
    },
  };
}
