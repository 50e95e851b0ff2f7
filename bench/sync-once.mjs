/**
 * One sync in a process of its own, so the benchmark reads this process's peak memory alone.
 * Prints one JSON line: wall time, peak RSS and the run's result. It runs the built code (`dist/`),
 * as `mdec sync` does, so the figures are the product's and not those of a TypeScript loader.
 */
import { ClientRateLimiter } from '../dist/mde/http/client-rate-limiter.js';
import { parseConnectorOptions } from '../dist/normalize/connector-options.js';
import { SecretBox } from '../dist/security/secret-box.js';
import { ConnectorRepository } from '../dist/store/connectors/connector-repository.js';
import { openStore } from '../dist/store/db/open-store.js';
import { CheckpointRepository } from '../dist/store/runs/checkpoint-repository.js';
import { createMdeClient } from '../dist/sync/mde-client-factory.js';
import { runSync } from '../dist/sync/run-sync.js';
import { getVulnerabilityWatermark } from '../dist/sync/streams/vulnerability-watermark.js';

const [db, mode, infoJson, simNowUrl] = process.argv.slice(2);
if (!db || !mode || !infoJson || !simNowUrl)
  throw new Error('usage: sync-once DB MODE SIMULATOR_INFO_JSON CLOCK_URL');
const info = JSON.parse(infoJson);
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
const clock = await (await fetch(simNowUrl)).json();
const offset = Date.parse(clock.now) - Date.now();
if (mode === 'reread') {
  // Forget which snapshot the last full pass read, so the same data is read and compared again.
  const checkpoints = new CheckpointRepository(store);
  const connector = await repo.byName('bench');
  const watermark = await getVulnerabilityWatermark({ checkpoints, connector });
  if (watermark) {
    delete watermark.lastFullSnapshot;
    await checkpoints.put(connector.id, 'vulnerabilities:watermark', watermark, new Date().toISOString());
  }
}
const limiter = new ClientRateLimiter();
const started = performance.now();
// MDEC_BENCH_MEMORY=MS also prints this thread's memory every MS milliseconds, so a peak between two
// stream boundaries can be placed, and told apart from the main thread's heap (docs/benchmarks.md).
const memoryEvery = Number(process.env.MDEC_BENCH_MEMORY ?? 0);
if (memoryEvery > 0) {
  const mb = (bytes) => (bytes / 1e6).toFixed(0);
  setInterval(() => {
    const m = process.memoryUsage();
    process.stderr.write(
      `  [${((performance.now() - started) / 1000).toFixed(1)} s] memory: rss ${mb(m.rss)} MB, main heap ${mb(m.heapUsed)} of ${mb(m.heapTotal)} MB, external ${mb(m.external)} MB\n`,
    );
  }, memoryEvery).unref();
}
// How long each stream took, for the bench's breakdown; MDEC_BENCH_TRACE=1 also prints when each
// stream starts and ends, and the memory then, on stderr.
const trace = Boolean(process.env.MDEC_BENCH_TRACE);
const lap = (what) =>
  trace &&
  process.stderr.write(
    `  [${((performance.now() - started) / 1000).toFixed(1)} s] ${what} (rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB)\n`,
  );
const streamStarted = new Map();
const streamSeconds = {};
const progress = {
  start(stream) {
    streamStarted.set(stream, performance.now());
    lap(`start ${stream}`);
  },
  update() {},
  finish(stream, outcome) {
    const at = streamStarted.get(stream);
    if (at !== undefined) streamSeconds[stream] = Math.round((performance.now() - at) / 10) / 100;
    lap(`${stream} ${outcome}`);
  },
  note: (message) => lap(message),
};
const result = await runSync(
  {
    store,
    secrets,
    createClient: (c, creds, signal) => createMdeClient(c, creds, { limiter }, signal),
    now: () => new Date(Date.now() + offset),
    progress,
  },
  { connector: 'bench', mode: mode === 'reread' ? 'full' : mode },
);
const wallSeconds = (performance.now() - started) / 1000;
await store.close();
const peakRssMb = process.resourceUsage().maxRSS / 1024;
process.stdout.write(`${JSON.stringify({ wallSeconds, peakRssMb, streamSeconds, result })}\n`);
