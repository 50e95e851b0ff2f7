/**
 * `npm run bench:workers`: many simulated tenants synced by several `mdec worker` processes sharing
 * one PostgreSQL store (docs/benchmarks.md#workers). Every tenant gets one queued full run; the
 * workers run them all. Prints one JSON line at the end: total wall time, runs per minute per worker,
 * the slowest tenant, the most database connections seen at once, and each worker's peak RSS.
 *
 * Scale with BENCH_TENANTS (200), BENCH_MIN_DEVICES (500), BENCH_MAX_DEVICES (5000), BENCH_WORKERS (3);
 * the database server from MDEC_BENCH_PG_URL or MDEC_TEST_PG_URL (a fresh database is created and
 * dropped).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { PgBossJobQueue } from '../src/jobs/pg-boss-job-queue.js';
import { parseConnectorOptions } from '../src/normalize/connector-options.js';
import { SecretBox } from '../src/security/secret-box.js';
import { defaultSimulatorOptions } from '../src/simulator/simulator-options.js';
import { type RunningSimulator, startSimulator } from '../src/simulator/start-simulator.js';
import { ConnectorRepository } from '../src/store/connectors/connector-repository.js';
import { openStore } from '../src/store/db/open-store.js';
import { RunRepository } from '../src/store/runs/run-repository.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const TENANTS = env('BENCH_TENANTS', 200);
const MIN_DEVICES = env('BENCH_MIN_DEVICES', 500);
const MAX_DEVICES = env('BENCH_MAX_DEVICES', 5000);
const WORKERS = env('BENCH_WORKERS', 3);
const ADMIN_URL =
  process.env.MDEC_BENCH_PG_URL ??
  process.env.MDEC_TEST_PG_URL ??
  'postgres://mdec:mdec@127.0.0.1:5432/mdec_test';
const MASTER_KEY = '05'.repeat(32);
const ROOT = new URL('../', import.meta.url).pathname;

async function admin(sqlText: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN_URL });
  await c.connect();
  await c.query(sqlText);
  await c.end();
}

/** Peak resident memory of a process so far (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

const name = `mdec_bench_${randomBytes(4).toString('hex')}`;
await admin(`CREATE DATABASE ${name}`);
const url = new URL(ADMIN_URL);
url.pathname = `/${name}`;
const db = url.toString();
const sims: RunningSimulator[] = [];
const workers: ChildProcess[] = [];
try {
  const store = await openStore(db);
  const secrets = SecretBox.fromKey(Buffer.from(MASTER_KEY, 'hex'));
  const connectors = new ConnectorRepository(store, secrets);
  const queue = await PgBossJobQueue.open(db, { leaseMs: 60_000 });
  const runs = new RunRepository(store);
  let devicesTotal = 0;
  for (let i = 0; i < TENANTS; i++) {
    // Sizes spread evenly over the range, in a fixed order.
    const devices = Math.round(
      MIN_DEVICES + ((MAX_DEVICES - MIN_DEVICES) * ((i * 37) % TENANTS)) / Math.max(1, TENANTS - 1),
    );
    devicesTotal += devices;
    const sim = await startSimulator({
      ...defaultSimulatorOptions(),
      devices,
      seed: i + 1,
      rateLimits: 'off',
    });
    sims.push(sim);
    const c = await connectors.create({
      name: `tenant-${i}`,
      network: `tenant-${i}`,
      tenantId: sim.info.tenantId,
      clientId: sim.info.clientId,
      cloud: 'custom',
      apiUrl: sim.info.apiUrl,
      loginUrl: sim.info.loginUrl,
      scope: 'https://api.securitycenter.microsoft.com/.default',
      active: true,
      schedule: null,
      options: parseConnectorOptions({ dataTypes: ['machines', 'vulnerabilities'] }),
      credentials: { clientSecret: sim.info.clientSecret },
    });
    const runId = await runs.enqueue(c.id, 'full', 'manual', new Date());
    await queue.enqueue({ runId, connectorId: c.id });
  }
  await queue.close();

  const started = Date.now();
  const finishedBy = new Map<number, number>();
  for (let w = 0; w < WORKERS; w++) {
    const child = spawn(
      process.execPath,
      [
        `${ROOT}bin/mdec.js`,
        '--db',
        db,
        'worker',
        '--poll-seconds',
        '0.5',
        '--tick-seconds',
        '60',
        '--retry-delay-seconds',
        '5',
      ],
      {
        env: { ...process.env, MDEC_MASTER_KEY: MASTER_KEY },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let pending = '';
    child.stderr!.on('data', (chunk) => {
      pending += String(chunk);
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        try {
          if ((JSON.parse(line) as { msg?: string }).msg === 'run finished')
            finishedBy.set(child.pid!, (finishedBy.get(child.pid!) ?? 0) + 1);
        } catch {}
      }
    });
    workers.push(child);
  }
  let peakConnections = 0;
  const rss = new Map<number, number>();
  for (;;) {
    const { rows } = await store.pg!.query<{ n: string }>(
      'select count(*) as n from pg_stat_activity where datname = current_database()',
    );
    // The bench's own pool (one connection for this query) is not the workers'.
    peakConnections = Math.max(peakConnections, Number(rows[0]!.n) - 1);
    for (const w of workers) if (w.pid && w.exitCode === null) rss.set(w.pid, peakRssMb(w.pid));
    // Done when no run waits or runs: failed runs are retried first (after 5 s here).
    const open = await store.db
      .selectFrom('syncRuns')
      .select('id')
      .where('state', 'in', ['queued', 'processing'])
      .execute();
    if (open.length === 0) break;
    await sleep(1000);
  }
  const wallMs = Date.now() - started;
  for (const w of workers) w.kill('SIGTERM');
  await Promise.all(
    workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))),
  );
  const all = await store.db.selectFrom('syncRuns').selectAll().execute();
  const latest = new Map<number, (typeof all)[number]>();
  for (const r of all)
    if ((latest.get(Number(r.connectorId))?.id ?? 0) < r.id) latest.set(Number(r.connectorId), r);
  const slowest = all
    .map((r) => ({ runId: Number(r.id), ms: Date.parse(r.finishedAt ?? '') - Date.parse(r.startedAt) }))
    .sort((a, b) => b.ms - a.ms)[0];
  await store.close();
  const minutes = wallMs / 60_000;
  process.stdout.write(
    `${JSON.stringify({
      tenants: TENANTS,
      devices: devicesTotal,
      workers: WORKERS,
      tenantsSynced: [...latest.values()].filter((r) => r.state === 'succeeded').length,
      runs: all.length,
      failedRuns: all.filter((r) => r.state === 'failed').length,
      failures: [
        ...new Set(all.flatMap((r) => (r.state === 'failed' && r.error ? [r.error.slice(0, 160)] : []))),
      ],
      wallSeconds: Math.round(wallMs / 100) / 10,
      runsPerMinutePerWorker: [...workers].map(
        (w) => Math.round(((finishedBy.get(w.pid!) ?? 0) / minutes) * 10) / 10,
      ),
      slowestTenantSeconds: slowest ? Math.round(slowest.ms / 100) / 10 : null,
      peakDatabaseConnections: peakConnections,
      peakRssMbPerWorker: workers.map((w) => rss.get(w.pid!) ?? 0),
    })}\n`,
  );
} finally {
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  await Promise.all(sims.map((s) => s.close()));
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
}
