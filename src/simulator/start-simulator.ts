import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedClock } from './clock.js';
import { TokenService } from './entra/token-service.js';
import { ExportStore } from './export-store.js';
import { FaultInjector } from './http/faults.js';
import { RateLimiter } from './http/rate-limiter.js';
import { MachineActionStore } from './machine-actions.js';
import { createRequestDispatcher } from './request-dispatcher.js';
import type { SimulatorOptions } from './simulator-options.js';
import type { SimulatorState } from './simulator-state.js';
import { createSimulatedTenant } from './tenant/create-simulated-tenant.js';
import { generateSelfSignedCertificate } from './tls/self-signed.js';

/** What `mdec simulator` prints once it listens (docs/operations.md). */
export interface SimulatorInfo {
  apiUrl: string;
  loginUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** PEM of the server certificate when TLS is on, so clients can trust it. */
  caCertPem?: string;
}

export interface RunningSimulator {
  info: SimulatorInfo;
  state: SimulatorState;
  close(): Promise<void>;
}

/** Composition root of the simulator: builds the tenant, sign-in, stores and the HTTP(S) server. */
export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const clock = new SimulatedClock(options.originMs, options.followRealTime);
  const tenant = createSimulatedTenant({
    devices: options.devices,
    seed: options.seed,
    originMs: options.originMs,
    tenantId: options.tenantId,
  });
  const apps = [
    {
      clientId: options.clientId,
      displayName: 'mde-connector',
      secrets: [options.clientSecret],
      certificates: [],
      roles: options.roles,
      consented: true,
    },
    ...options.extraApps.map((a) => ({
      clientId: a.clientId,
      displayName: `app ${a.clientId}`,
      secrets: a.clientSecret ? [a.clientSecret] : [],
      certificates: a.certificatePem ? [a.certificatePem] : [],
      roles: a.roles,
      consented: a.consented,
    })),
  ];
  const tokens = new TokenService({
    tenantId: options.tenantId,
    apps,
    tokenLifetimeSeconds: options.tokenLifetimeSeconds,
    now: () => clock.now(),
  });
  // A folder of our own, even inside a given cache dir, because close() deletes it.
  const cacheDir = await mkdtemp(join(options.cacheDir ?? tmpdir(), 'mdec-sim-'));
  const state: SimulatorState = {
    tenant,
    clock,
    tokens,
    limiter: new RateLimiter(options.rateLimits),
    faults: new FaultInjector(options.seed, options.faults),
    exports: new ExportStore(tenant, cacheDir, options.devicesPerFile, options.exportDelaySeconds * 1000),
    actions: new MachineActionStore(() => clock.now()),
    stats: { total: 0, byBucket: {}, byApiHost: {}, throttled: 0, faults: 0 },
    blobSecret: randomBytes(32),
    baseUrl: '',
  };
  const dispatch = createRequestDispatcher(state);
  let server: Server;
  let caCertPem: string | undefined;
  if (options.tls === 'off') {
    server = createHttpServer(dispatch);
  } else {
    const pair =
      options.tls === 'generate'
        ? await generateSelfSignedCertificate({
            commonName: 'localhost',
            altNames: ['localhost', options.host],
            days: 30,
          })
        : options.tls;
    caCertPem = pair.certPem;
    server = createHttpsServer({ cert: pair.certPem, key: pair.keyPem }, dispatch);
  }
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  state.baseUrl = `${options.tls === 'off' ? 'http' : 'https'}://${host}:${port}`;
  const info: SimulatorInfo = {
    apiUrl: state.baseUrl,
    loginUrl: state.baseUrl,
    tenantId: options.tenantId,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    ...(caCertPem ? { caCertPem } : {}),
  };
  return {
    info,
    state,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await state.exports.close();
    },
  };
}
