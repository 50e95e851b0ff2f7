import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/**
 * What `mdec worker` adds to its niceness unless told otherwise (docs/operations.md#worker-priority):
 * "below normal". A sync is background work that can wait a moment; the API's requests and anything
 * else interactive on the same machine should not wait for it. With both busy, Linux gives a process
 * at niceness 0 about nine times the CPU of one at 10; a worker with the machine to itself runs as
 * fast as at 0.
 */
export const DEFAULT_WORKER_NICENESS_ADJUSTMENT = 10;

/**
 * Adds `adjustment` to the process's niceness, as nice(1) does (the result kept within -20 to 19), for
 * the whole process. On Linux niceness belongs to each thread: every thread
 * running now (V8's helpers were started with the process) is set, and a thread started later (a
 * sync's writer thread) inherits it from the thread that starts it. Elsewhere the process's priority
 * is set. 0 leaves the priority as it is; below 0 (raising the priority) needs privileges the worker seldom
 * has, and fails with the system's reason.
 */
export function adjustWorkerNiceness(adjustment: number): void {
  if (adjustment === 0) return;
  const niceness = Math.max(-20, Math.min(19, getPriority() + adjustment));
  let threads: string[] = [];
  try {
    threads = readdirSync('/proc/self/task');
  } catch {}
  if (threads.length === 0) {
    setPriority(niceness);
    return;
  }
  for (const thread of threads) {
    try {
      setPriority(Number(thread), niceness);
    } catch (err) {
      // A thread that ended meanwhile is not an error; anything else (no permission) is.
      if ((err as { info?: { code?: string } }).info?.code !== 'ESRCH') throw err;
    }
  }
}
