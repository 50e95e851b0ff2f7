/**
 * Builds the real MDE client against a running simulator: real token provider, undici transport,
 * retry and limiter. Only time is virtual: the limiter's clock moves when the client sleeps, and the
 * token provider reads the simulator's clock (assertions are checked against it).
 */
import { type ClientCredential, ClientCredentialsTokenProvider } from '../../src/mde/auth/token-provider.js';
import { resolveEndpoints } from '../../src/mde/cloud-endpoints.js';
import { ClientRateLimiter, type LimiterTime, realTime } from '../../src/mde/http/client-rate-limiter.js';
import { UndiciHttpTransport } from '../../src/mde/http/http-transport.js';
import { MdeClient } from '../../src/mde/mde-client.js';
import type { LogEntry } from '../../src/mde/mde-logger.js';
import { TEST_ORIGIN, type TestSimulator } from '../helpers/simulator-fixture.js';

/** Virtual time for the limiter and backoff: sleeping moves it, nothing else does. */
export class VirtualTime implements LimiterTime {
  t = Date.parse('2026-01-01T00:00:00Z');
  slept = 0;
  now = () => this.t;
  sleep = async (ms: number) => {
    const wake = this.t + ms;
    this.slept += ms;
    await Promise.resolve();
    this.t = Math.max(this.t, wake);
  };
}

/** The simulator's clock as the client sees it; `advanceHours` moves both. */
export class SimClock {
  ms = TEST_ORIGIN;

  constructor(private readonly sim: TestSimulator) {}

  now = () => this.ms;

  /** Reads the simulator's current time (earlier tests may have moved it). */
  async sync(): Promise<this> {
    const view = await this.sim.admin('GET', '/clock');
    this.ms = Date.parse(String(view.now));
    return this;
  }

  async advanceHours(hours: number): Promise<void> {
    await this.sim.advanceHours(hours);
    this.ms += hours * 3600_000;
  }

  async advanceMs(ms: number): Promise<void> {
    await this.sim.admin('POST', '/clock/advance', { ms });
    this.ms += ms;
  }
}

export interface KitOptions {
  clientId?: string;
  credential?: ClientCredential;
  maxRetries?: number;
  /** The token provider's clock; the simulator's by default. */
  tokenNow?: () => number;
  clock?: SimClock;
  /** Wait in real time (for tests against the simulator's real-time rate limits). */
  realTime?: boolean;
}

export interface Kit {
  client: MdeClient;
  tokens: ClientCredentialsTokenProvider;
  transport: UndiciHttpTransport;
  time: VirtualTime;
  logs: LogEntry[];
  clock: SimClock;
  close(): Promise<void>;
}

/** A client for the simulator's default app (or another registered one). */
export async function createKit(sim: TestSimulator, options: KitOptions = {}): Promise<Kit> {
  const info = sim.sim.info;
  const endpoints = resolveEndpoints({
    cloud: 'custom',
    apiUrl: info.apiUrl,
    loginUrl: info.loginUrl,
    scope: 'https://api.securitycenter.microsoft.com/.default',
  });
  const transport = new UndiciHttpTransport({ headersTimeoutMs: 10_000, bodyTimeoutMs: 10_000 });
  const time = new VirtualTime();
  const logs: LogEntry[] = [];
  const clock = options.clock ?? (await new SimClock(sim).sync());
  const credential = options.credential ?? { kind: 'secret', clientSecret: info.clientSecret };
  const tokens = new ClientCredentialsTokenProvider({
    tenantId: info.tenantId,
    clientId: options.clientId ?? info.clientId,
    credential,
    loginUrl: endpoints.loginUrl,
    scope: endpoints.scope,
    transport,
    now: options.tokenNow ?? clock.now,
    sleep: time.sleep,
    logger: (e) => logs.push(e),
  });
  const limiter = new ClientRateLimiter({ time: options.realTime ? realTime : time }).forApp(
    info.tenantId,
    options.clientId ?? info.clientId,
  );
  const client = new MdeClient({
    apiUrl: endpoints.apiUrl,
    tokenProvider: tokens,
    transport,
    limiter,
    maxRetries: options.maxRetries ?? 10,
    random: () => 0.5,
    logger: (e) => logs.push(e),
    knownSecrets: credential.kind === 'secret' ? [credential.clientSecret] : [],
  });
  return { client, tokens, transport, time, logs, clock, close: () => transport.close() };
}

/** Counts of each finding key (docs/mde-api.md#delta-feed), so row sets compare as multisets. */
export function keyCounts(
  rows: Iterable<unknown>,
  key: (row: Record<string, unknown>) => string,
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const row of rows) {
    const k = key(row as Record<string, unknown>);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}

/** Drains an async generator of pages into one array. */
export async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const page of pages) out.push(...page);
  return out;
}
