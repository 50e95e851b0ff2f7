import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { ApiContext } from '../../src/api/api-context.js';
import { ApiMetrics } from '../../src/api/api-metrics.js';
import { buildApi } from '../../src/api/build-api.js';
import { LoginThrottle } from '../../src/api/login-throttle.js';
import { RunSupervisor } from '../../src/api/run-supervisor.js';
import { hashPassword } from '../../src/security/password-hash.js';
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
  /** A bearer token per role, of the user named like the role. */
  tokens: Record<Role, string>;
  /** Injects a request as a role (bearer token) or unauthenticated (`anon`). */
  as(who: Role | 'anon', options: InjectOptions): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** The API over `store`, with one user and token per role; syncs run on the simulator's clock. */
export async function startTestApi(store: Store, sim?: TestSimulator): Promise<TestApi> {
  const now = sim ? () => new Date(sim.sim.state.clock.now()) : () => new Date();
  const metrics = new ApiMetrics(store);
  const ctx: ApiContext = {
    store,
    secrets: TEST_SECRETS,
    metrics,
    runs: new RunSupervisor({
      store,
      secrets: TEST_SECRETS,
      now,
      limiter: testLimiter(),
      onFinished: (r) => metrics.recordRun(r),
    }),
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
      await ctx.runs.stopAll();
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
