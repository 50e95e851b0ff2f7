import type { Worker } from 'node:worker_threads';
import { startWorkerThread } from '../store/findings/start-worker-thread.js';
import {
  type ReadThreadData,
  type ReadThreadReply,
  type ReadThreadRequest,
  readFailureError,
} from './read-thread-messages.js';
import type { StoreReadArgs, StoreReader, StoreReadName } from './store-reads.js';

export interface ReadThreadsOptions {
  /** Threads to start, at least 1. */
  threads: number;
  /** The store's location as it was opened (a PostgreSQL password included); never logged. */
  location: string;
  /** Where reads go while no thread is ready (one stopped and its replacement is starting). */
  fallback: StoreReader;
  /** Reports a thread that stopped or could not start. */
  warn(message: string): void;
}

interface Pending {
  resolve(bytes: Buffer): void;
  reject(err: Error): void;
}

/** One read thread and the reads it has in hand. */
class ReadThread {
  readonly pending = new Map<number, Pending>();
  ready = false;

  constructor(readonly worker: Worker) {}
}

/** A thread starting takes at most this long to open the store. */
const START_TIMEOUT_MS = 30_000;

/**
 * The API's store reads in threads of their own (docs/api.md#read-threads), so that reading and
 * building answers uses every core while the server's thread parses requests, checks who asks and
 * sends answers. Each thread has its own connection to the store. A read goes to the thread with the
 * fewest in hand. A thread that stops fails the reads it had (each a 500) and is replaced; while none
 * is ready, reads run on the server's thread.
 */
export class ReadThreads implements StoreReader {
  private readonly threads: ReadThread[] = [];
  private nextId = 1;
  /** Set when the server asks the threads to stop. */
  private closed = false;

  private constructor(private readonly options: ReadThreadsOptions) {}

  /** Starts the threads and resolves once each has opened the store; rejects if one cannot. */
  static async start(options: ReadThreadsOptions): Promise<ReadThreads> {
    if (!Number.isInteger(options.threads) || options.threads < 1)
      throw new Error(`read threads must be a whole number of at least 1 (got ${options.threads})`);
    const pool = new ReadThreads(options);
    try {
      await Promise.all(Array.from({ length: options.threads }, () => pool.startThread()));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  answer<N extends StoreReadName>(name: N, args: StoreReadArgs<N>): Promise<Buffer> {
    let chosen: ReadThread | undefined;
    for (const thread of this.threads)
      if (thread.ready && (!chosen || thread.pending.size < chosen.pending.size)) chosen = thread;
    if (!chosen) return this.options.fallback.answer(name, args);
    const thread = chosen;
    const id = this.nextId++;
    return new Promise<Buffer>((resolve, reject) => {
      thread.pending.set(id, { resolve, reject });
      const request: ReadThreadRequest = { id, name, args };
      thread.worker.postMessage(request);
    });
  }

  /** Threads ready to read. */
  get size(): number {
    return this.threads.filter((t) => t.ready).length;
  }

  /** The threads running now, ready or starting (tests stop one to see it replaced). */
  get workers(): readonly Worker[] {
    return this.threads.map((t) => t.worker);
  }

  /** Lets each thread close its store and end; reads still in hand fail. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.threads.map(async (thread) => {
        const exited = new Promise<void>((resolve) => thread.worker.once('exit', () => resolve()));
        thread.worker.postMessage('close');
        const timer = setTimeout(() => void thread.worker.terminate(), 5_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    this.threads.length = 0;
  }

  private startThread(): Promise<void> {
    const data: ReadThreadData = { location: this.options.location };
    const thread = new ReadThread(startWorkerThread(import.meta.url, 'read-thread', data));
    this.threads.push(thread);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`a read thread did not open the store within ${START_TIMEOUT_MS / 1000} s`));
        void thread.worker.terminate();
      }, START_TIMEOUT_MS);
      thread.worker.on('message', (reply: ReadThreadReply) => {
        if ('ready' in reply) {
          clearTimeout(timer);
          if (reply.ready) {
            thread.ready = true;
            resolve();
          } else reject(new Error(`a read thread could not open the store: ${reply.message}`));
          return;
        }
        const pending = thread.pending.get(reply.id);
        if (!pending) return;
        thread.pending.delete(reply.id);
        if ('bytes' in reply)
          pending.resolve(Buffer.from(reply.bytes.buffer, reply.bytes.byteOffset, reply.bytes.byteLength));
        else pending.reject(readFailureError(reply.failure));
      });
      thread.worker.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
        this.options.warn(`a read thread failed: ${err.message}`);
      });
      thread.worker.on('exit', (code) => {
        clearTimeout(timer);
        const wasReady = thread.ready;
        thread.ready = false;
        this.threads.splice(this.threads.indexOf(thread), 1);
        for (const pending of thread.pending.values())
          pending.reject(new Error(`a read thread stopped (exit code ${code}) with the read in hand`));
        thread.pending.clear();
        // After close() a thread's exit is expected.
        if (this.closed) return;
        reject(new Error(`a read thread stopped while starting (exit code ${code})`));
        // Only a thread that had started is replaced: one that cannot open the store would fail again.
        if (wasReady) {
          this.options.warn(`a read thread stopped (exit code ${code}); starting another`);
          this.startThread().catch((err: Error) =>
            this.options.warn(`a read thread could not be started again: ${err.message}`),
          );
        }
      });
    });
  }
}
