import type { Store } from '../store/db/store.js';
import type { JobQueue, QueueTiming } from './job-queue.js';
import type { Clock } from './scheduler-clock.js';
import { TableJobQueue } from './table-job-queue.js';

/**
 * The job queue of a store: the queue table of a SQLite store, pg-boss on PostgreSQL
 * (docs/scheduling.md#the-job-queue). `connectionString` is the PostgreSQL URL the store was opened
 * with (pg-boss keeps its own small pool).
 */
export async function openJobQueue(
  store: Store,
  options: { timing: QueueTiming; clock: Clock; connectionString?: string },
): Promise<JobQueue> {
  if (store.dialect === 'postgres') {
    if (!options.connectionString) throw new Error('the PostgreSQL job queue needs the database URL');
    // Loaded only here: pg-boss costs every other command's start-up a third of a second.
    const { PgBossJobQueue } = await import('./pg-boss-job-queue.js');
    return PgBossJobQueue.open(options.connectionString, options.timing);
  }
  return new TableJobQueue(store, options.timing, options.clock);
}
