import { setTimeout as sleep } from 'node:timers/promises';
import { ClientRateLimiter } from '../../src/mde/http/client-rate-limiter.js';
import { type ConnectorOptionsInput, parseConnectorOptions } from '../../src/normalize/connector-options.js';
import { SecretBox } from '../../src/security/secret-box.js';
import { type Connector, ConnectorRepository } from '../../src/store/connectors/connector-repository.js';
import type { Store } from '../../src/store/db/store.js';
import { selectFindings } from '../../src/store/findings/finding-repository.js';
import { createMdeClient } from '../../src/sync/mde-client-factory.js';
import type { ProgressReporter } from '../../src/sync/progress.js';
import { runSync, type SyncResult } from '../../src/sync/run-sync.js';
import type { TestSimulator } from './simulator-fixture.js';

/** Budgets no test reaches, and waits cut short: tests check behaviour, not the wall clock. */
export function testLimiter(): ClientRateLimiter {
  const lots = { perMinute: 1_000_000, perHour: 1_000_000 };
  return new ClientRateLimiter({
    budgets: {
      entity: lots,
      tvmEntity: lots,
      machineVulnerabilities: lots,
      assessmentJson: lots,
      assessmentExport: lots,
    },
    time: {
      now: () => Date.now(),
      sleep: (ms, signal) => sleep(Math.min(ms, 20), undefined, signal ? { signal } : {}),
    },
  });
}

export const TEST_SECRETS = SecretBox.fromKey(Buffer.alloc(32, 7));

/** A connector in `store` pointing at the simulator. */
export async function addConnector(
  store: Store,
  sim: TestSimulator,
  options: ConnectorOptionsInput = {},
  name = 'test',
  credentials: { clientId?: string; clientSecret?: string } = {},
): Promise<Connector> {
  const repo = new ConnectorRepository(store, TEST_SECRETS);
  return repo.create({
    name,
    network: 'default',
    tenantId: sim.sim.info.tenantId,
    clientId: credentials.clientId ?? sim.sim.info.clientId,
    cloud: 'custom',
    apiUrl: sim.url,
    loginUrl: sim.url,
    scope: 'https://api.securitycenter.microsoft.com/.default',
    active: true,
    schedule: null,
    options: parseConnectorOptions({ sasValidHours: 6, ...options }),
    credentials: { clientSecret: credentials.clientSecret ?? sim.sim.info.clientSecret },
  });
}

/** Runs a sync whose clock is the simulator's, as a connector's clock agrees with Microsoft's. */
export async function sync(
  store: Store,
  sim: TestSimulator,
  mode: 'full' | 'delta' | 'auto' = 'auto',
  name = 'test',
  limiter = testLimiter(),
  progress?: ProgressReporter,
): Promise<SyncResult> {
  return runSync(
    {
      store,
      secrets: TEST_SECRETS,
      createClient: (c, creds, signal) => createMdeClient(c, creds, { limiter }, signal),
      now: () => new Date(sim.sim.state.clock.now()),
      ...(progress ? { progress } : {}),
    },
    { connector: name, mode },
  );
}

/** Keys (machine|cve|vendor|name|version) of the open findings stored for a connector. */
export async function openFindingKeys(store: Store, connectorId: number): Promise<string[]> {
  const rows = await selectFindings(store)
    .select('findingKey')
    .where('connectorId', '=', connectorId)
    .where('status', '=', 'open')
    .execute();
  // Sorted here, not in SQL: PostgreSQL's collation orders text differently from JavaScript.
  return rows.map((r) => r.findingKey).sort();
}

/** The same keys from the simulator's ground truth: rows with a CVE in the current snapshot. */
export async function truthFindingKeys(sim: TestSimulator): Promise<string[]> {
  const rows = await sim.truthRows('vulnerabilities');
  const keys = rows
    .filter((r) => r.cveId)
    .map((r) =>
      [String(r.deviceId).toLowerCase(), r.cveId, r.softwareVendor, r.softwareName, r.softwareVersion].join(
        '|',
      ),
    );
  return [...new Set(keys)].sort();
}
