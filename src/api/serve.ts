import type { FastifyInstance } from 'fastify';
import type { JobQueue } from '../jobs/job-queue.js';
import { ClientRateLimiter } from '../mde/http/client-rate-limiter.js';
import { UndiciHttpTransport } from '../mde/http/http-transport.js';
import type { SecretBox } from '../security/secret-box.js';
import { sharedMarkerReads, storeChangeMarker } from '../store/db/change-marker.js';
import type { Store } from '../store/db/store.js';
import { createMdeClient } from '../sync/mde-client-factory.js';
import type { SyncResult } from '../sync/run-sync.js';
import type { ApiContext } from './api-context.js';
import { ApiMetrics } from './api-metrics.js';
import { buildApi } from './build-api.js';
import { LoginThrottle } from './login-throttle.js';
import { ReadCache } from './read-cache.js';
import { ReadThreads } from './read-threads.js';
import { RunRequests } from './run-requests.js';
import { readerOnThisThread, type StoreReader } from './store-reads.js';

/**
 * Work that runs beside the API in the same process and stops with it: the job worker (schedules and
 * queued runs) plugs in here. `mdec serve --no-worker` passes none.
 */
export interface BackgroundWork {
  /** `onRunFinished`: each run it ran, for the server's metrics. */
  start(events: { onRunFinished(result: SyncResult): void }): Promise<void>;
  /** Stops taking work and lets what runs checkpoint; resolves once it has. */
  stop(): Promise<void>;
}

export interface ServeOptions {
  store: Store;
  secrets: SecretBox;
  host: string;
  port: number;
  tls?: { cert: Buffer; key: Buffer };
  caFile?: string;
  logger?: boolean;
  /** Where runs asked for through the API go: the store's job queue, which the workers read. */
  queue: JobQueue;
  worker?: BackgroundWork;
  /**
   * Store reads in threads of their own (read-threads.ts): how many, and the store's location as it
   * was opened, for each thread to open it again. None (or 0 threads, or an in-memory database): reads
   * run on the server's thread.
   */
  readThreads?: { threads: number; location: string };
  /** Reports what an operator should know (a read thread that stopped); stderr by default. */
  warn?: (message: string) => void;
}

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  /** Stops the worker (its run checkpoints and goes back to the queue) and stops accepting requests. */
  close(): Promise<void>;
}

/** Builds the API context and listens (docs/api.md#serving). */
export async function serveApi(options: ServeOptions): Promise<RunningServer> {
  const metrics = new ApiMetrics(options.store);
  // One limiter for every MDE call of the process: syncs and machine actions share the tenant's limits.
  const limiter = new ClientRateLimiter();
  const actionTransport = new UndiciHttpTransport(options.caFile ? { caFile: options.caFile } : {});
  const reader = await startReader(options);
  const ctx: ApiContext = {
    store: options.store,
    secrets: options.secrets,
    metrics,
    reads: new ReadCache(sharedMarkerReads(storeChangeMarker(options.store))),
    reader,
    runs: new RunRequests({ store: options.store, queue: options.queue, now: () => new Date() }),
    actions: {
      store: options.store,
      secrets: options.secrets,
      createClient: (connector, credentials) =>
        createMdeClient(connector, credentials, { limiter, transport: actionTransport }),
    },
    throttle: new LoginThrottle(),
    tls: options.tls !== undefined,
    ...(options.caFile ? { caFile: options.caFile } : {}),
    now: () => new Date(),
  };
  let app: FastifyInstance;
  try {
    app = await buildApi(ctx, {
      ...(options.logger ? { logger: { level: 'info' } } : {}),
      ...(options.tls ? { https: options.tls } : {}),
    });
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await reader.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `${options.tls ? 'https' : 'http'}://${host}:${port}`;
  await options.worker?.start({ onRunFinished: (result) => metrics.recordRun(result) });
  return {
    url,
    app,
    async close() {
      await options.worker?.stop();
      await app.close();
      await reader.close();
      await actionTransport.close();
    },
  };
}

/** The store reads' threads, as the options ask; this thread's reads when they ask for none. */
async function startReader(options: ServeOptions): Promise<StoreReader> {
  const onThisThread = readerOnThisThread(options.store);
  const wanted = options.readThreads;
  if (!wanted || wanted.threads === 0 || wanted.location === ':memory:') return onThisThread;
  return ReadThreads.start({
    threads: wanted.threads,
    location: wanted.location,
    fallback: onThisThread,
    warn: options.warn ?? ((message) => process.stderr.write(`mdec serve: ${message}\n`)),
  });
}

/** Loopback addresses: the only ones where plain HTTP is acceptable (docs/api.md#serving). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
