import type { Kysely } from 'kysely';

/**
 * `sync_runs.live_progress`: how far a running sync got, stream by stream (JSON), written by whoever
 * runs it every few seconds, so that another process (the API's run events) can follow a run a worker
 * runs (docs/sync-runs.md#live-progress). Null for runs that are not running or never reported.
 */
export function runLiveProgressSchema() {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('sync_runs').addColumn('live_progress', 'text').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('sync_runs').dropColumn('live_progress').execute();
    },
  };
}
