import { availableParallelism } from 'node:os';

/** More read threads than this are refused: each holds a store connection and its own caches. */
export const MAX_READ_THREADS = 16;

/**
 * Read threads when none are asked for (docs/api.md#read-threads): one per core, at most four; past
 * that the database, not the threads, bounds what the server answers.
 */
export function defaultReadThreads(): number {
  return Math.min(4, availableParallelism());
}
