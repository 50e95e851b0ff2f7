import type { ActionServiceDeps } from '../actions/machine-action-service.js';
import type { SecretBox } from '../security/secret-box.js';
import type { Store } from '../store/db/store.js';
import type { Role } from '../store/users/user-repository.js';
import type { ApiMetrics } from './api-metrics.js';
import type { LoginThrottle } from './login-throttle.js';
import type { ReadCache } from './read-cache.js';
import type { RunRequests } from './run-requests.js';
import type { StoreReader } from './store-reads.js';

/** What the routes of `mdec serve` work with; built once by the composition root (src/main). */
export interface ApiContext {
  store: Store;
  secrets: SecretBox;
  /** Hands the runs asked for to the workers (the job queue), and cancels them. */
  runs: RunRequests;
  /** Machine actions: main's action service with the MDE clients of this process. */
  actions: ActionServiceDeps;
  metrics: ApiMetrics;
  /** Answers of store reads, shared while the store is unchanged (read-cache.ts). */
  reads: ReadCache;
  /** Where those reads run: this thread, or read threads (read-threads.ts). */
  reader: StoreReader;
  throttle: LoginThrottle;
  /** Served over HTTPS: the session cookie is then `Secure`. */
  tls: boolean;
  /** Extra CA certificates for calls to MDE (test-credentials), as `mdec sync --ca-file`. */
  caFile?: string;
  now: () => Date;
}

/** Who made a request: a signed-in browser (session) or a script (bearer token). */
export interface Principal {
  userId: number;
  name: string;
  role: Role;
  via: 'session' | 'token';
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}
