/**
 * One sync in a process of its own, so the benchmark reads this process's peak memory alone.
 * Prints one JSON line: wall time, peak RSS and the run's result.
 */
import { ClientRateLimiter } from '../src/mde/http/client-rate-limiter.js';
import { SecretBox } from '../src/security/secret-box.js';
import { CheckpointRepository } from '../src/store/checkpoint-repository.js';
import { ConnectorRepository } from '../src/store/connector-repository.js';
import { openStore } from '../src/store/open-store.js';
import { parseConnectorOptions } from '../src/sync/connector-options.js';
import { createMdeClient } from '../src/sync/mde-client-factory.js';
import { runSync } from '../src/sync/run-sync.js';

const [db, mode, infoJson, simNowUrl] = process.argv.slice(2);
if (!db || !mode || !infoJson || !simNowUrl)
  throw new Error('usage: sync-once DB MODE SIMULATOR_INFO_JSON CLOCK_URL');
const info = JSON.parse(infoJson) as {
  apiUrl: string;
  loginUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
};
const secrets = SecretBox.fromKey(Buffer.alloc(32, 3));
const store = await openStore(db);
const repo = new ConnectorRepository(store, secrets);
if (!(await repo.byName('bench'))) {
  await repo.create({
    name: 'bench',
    network: 'bench',
    tenantId: info.tenantId,
    clientId: info.clientId,
    cloud: 'custom',
    apiUrl: info.apiUrl,
    loginUrl: info.loginUrl,
    scope: 'https://api.securitycenter.microsoft.com/.default',
    active: true,
    schedule: null,
    options: parseConnectorOptions({ dataTypes: ['machines', 'vulnerabilities'], sasValidHours: 6 }),
    credentials: { clientSecret: info.clientSecret },
  });
}
// The connector's clock agrees with the tenant's, as it does with Microsoft's.
const clock = (await (await fetch(simNowUrl)).json()) as { now: string };
const offset = Date.parse(clock.now) - Date.now();
if (mode === 'reread') {
  // Forget which snapshot the last full pass read, so the same data is read and compared again.
  const checkpoints = new CheckpointRepository(store);
  const connector = (await repo.byName('bench'))!;
  const watermark = await checkpoints.get<Record<string, unknown>>(connector.id, 'vulnerabilities:watermark');
  if (watermark) {
    delete watermark.lastFullSnapshot;
    await checkpoints.put(connector.id, 'vulnerabilities:watermark', watermark, new Date().toISOString());
  }
}
const limiter = new ClientRateLimiter();
const started = performance.now();
// MDEC_BENCH_TRACE=1: when each stream starts and ends, and the memory then, on stderr.
const lap = (what: string) =>
  process.stderr.write(
    `  [${((performance.now() - started) / 1000).toFixed(1)} s] ${what} (rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB)\n`,
  );
const progress = process.env.MDEC_BENCH_TRACE
  ? {
      start: (stream: string) => lap(`start ${stream}`),
      update() {},
      finish: (stream: string, outcome: string) => lap(`${stream} ${outcome}`),
      note: (message: string) => lap(message),
    }
  : undefined;
const result = await runSync(
  {
    store,
    secrets,
    createClient: (c, creds, signal) => createMdeClient(c, creds, { limiter }, signal),
    now: () => new Date(Date.now() + offset),
    ...(progress ? { progress } : {}),
  },
  { connector: 'bench', mode: mode === 'reread' ? 'full' : (mode as 'full' | 'delta') },
);
const wallSeconds = (performance.now() - started) / 1000;
await store.close();
const peakRssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({ wallSeconds, peakRssMb, result })}\n`);
