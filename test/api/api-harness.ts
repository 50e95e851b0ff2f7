import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { ApiContext } from '../../src/api/api-context.js';
import { ApiMetrics } from '../../src/api/api-metrics.js';
import { buildApi } from '../../src/api/build-api.js';
import { LoginThrottle } from '../../src/api/login-throttle.js';
import { ReadCache } from '../../src/api/read-cache.js';
import { RunRequests } from '../../src/api/run-requests.js';
import { readerOnThisThread } from '../../src/api/store-reads.js';
import type { JobQueue } from '../../src/jobs/job-queue.js';
import { systemClock } from '../../src/jobs/scheduler-clock.js';
import { TableJobQueue } from '../../src/jobs/table-job-queue.js';
import { hashPassword } from '../../src/security/password-hash.js';
import { sharedMarkerReads, storeChangeMarker } from '../../src/store/db/change-marker.js';
import type { Store } from '../../src/store/db/store.js';
import { ApiTokenRepository } from '../../src/store/users/api-token-repository.js';
import { ROLES, type Role, UserRepository } from '../../src/store/users/user-repository.js';
import { createMdeClient } from '../../src/sync/mde-client-factory.js';
import type { TestSimulator } from '../helpers/simulator-fixture.js';
import { TEST_SECRETS, testLimiter } from '../helpers/sync-harness.js';

/** The password of every test user (`admin`, `analyst`, `viewer`). */
export const TEST_PASSWORD = 'correct horse battery';

export interface TestApi {
  app: FastifyInstance;
  ctx: ApiContext;
  /** Where the API queues the runs asked for (the store's queue table unless another was given). */
  queue: JobQueue;
  /** A bearer token per role, of the user named like the role. */
  tokens: Record<Role, string>;
  /** Injects a request as a role (bearer token) or unauthenticated (`anon`). */
  as(who: Role | 'anon', options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/**
 * The API over `store`, with one user and token per role. Runs asked for go to `queue` (the store's
 * queue table by default); a test that wants them run starts a worker on it.
 */
export async function startTestApi(store: Store, _sim?: TestSimulator, queue?: JobQueue): Promise<TestApi> {
  const metrics = new ApiMetrics(store);
  const runQueue = queue ?? new TableJobQueue(store, { leaseMs: 60_000 }, systemClock);
  const ctx: ApiContext = {
    store,
    secrets: TEST_SECRETS,
    metrics,
    reads: new ReadCache(sharedMarkerReads(storeChangeMarker(store))),
    reader: readerOnThisThread(store),
    runs: new RunRequests({ store, queue: runQueue, now: () => new Date() }),
    actions: {
      store,
      secrets: TEST_SECRETS,
      createClient: (connector, credentials) =>
        createMdeClient(connector, credentials, { limiter: testLimiter() }),
    },
    throttle: new LoginThrottle(),
    tls: false,
    now: () => new Date(),
  };
  const users = new UserRepository(store);
  const tokenRepo = new ApiTokenRepository(store);
  const hash = await hashPassword(TEST_PASSWORD);
  const tokens = {} as Record<Role, string>;
  for (const role of ROLES) {
    const user = (await users.byName(role)) ?? (await users.create(role, role, hash));
    tokens[role] = (await tokenRepo.create(user.id, `${role} test`)).token;
  }
  const app = await buildApi(ctx);
  return {
    app,
    ctx,
    queue: runQueue,
    tokens,
    as: (who, options) =>
      app.inject({
        ...options,
        headers: {
          ...(options.headers ?? {}),
          ...(who === 'anon' ? {} : { authorization: `Bearer ${tokens[who]}` }),
        },
      }),
    async close() {
      await app.close();
    },
  };
}

/** The `error` of an error answer. */
export function errorOf(res: LightMyRequestResponse): {
  code: string;
  message: string;
  details?: Array<{ path: string; message: string }>;
} {
  return (
    res.json() as {
      error: { code: string; message: string; details?: Array<{ path: string; message: string }> };
    }
  ).error;
}
