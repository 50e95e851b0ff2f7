/**
 * `npm run bench:api [-- --devices N --store sqlite|postgres --seconds S --connections C --keep-store
 * --reuse-store LOCATION --worker-nice N --read-threads N --simulator-nice N]`: the REST
 * API under load (docs/benchmarks.md#rest-api). A simulated tenant of N devices (100,000 by default,
 * about 30 findings each) is synced into a fresh store, `mdec serve --no-worker` starts over it in a
 * process of its own and a `mdec worker` in another, a full sync is asked for through the API (the
 * worker runs it, at its default niceness unless `--worker-nice` gives another), and while it runs
 * autocannon sends C concurrent clients (50) for S seconds (20) at each of: the hosts list sorted by
 * risk with a query, host details, and findings filtered by severity. A sync that ends before the
 * load does is followed by another, so that each scenario runs beside one.
 * Prints one JSON line: per scenario requests per second, p50/p95/p99 latency (ms, from every
 * response), errors (by kind) and non-2xx answers (by status), whether a sync ran throughout, the server's CPU
 * per answer and the worker's CPU seconds; the syncs that ran; the server's and the worker's peak
 * RSS; the load average of the machine before and after.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import pg from 'pg';
import type { SimulatorInfo } from '../src/simulator/start-simulator.js';
import { syncSimulatedTenant } from './simulated-store.js';

const ROOT = new URL('../', import.meta.url).pathname;
const MASTER_KEY = '07'.repeat(32);

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const DEVICES = Number(flag('devices', '100000'));
const STORE = flag('store', 'sqlite');
const SECONDS = Number(flag('seconds', '20'));
const CONNECTIONS = Number(flag('connections', '50'));
const PG_URL = process.env.MDEC_BENCH_PG_URL ?? process.env.MDEC_TEST_PG_URL;
/** `--keep-store`: leave the store (printed as `location`) for a look at its query plans afterwards. */
const KEEP_STORE = process.argv.includes('--keep-store');
/** `--reuse-store LOCATION`: a store a `--keep-store` run left, of the same size; its first load is skipped. */
const REUSE_STORE = flag('reuse-store', '');
/** `--worker-nice N`: the worker's `--nice` (its default when not given). */
const WORKER_NICE = flag('worker-nice', '');
/**
 * `--simulator-nice N`: the simulator's niceness, 10 when not given. It stands in for Microsoft's
 * cloud, whose work is done on Microsoft's machines; on this one it yields the CPU to what is
 * measured (the server, the database, the load generator), as the worker does by its own default.
 */
const SIMULATOR_NICE = flag('simulator-nice', '10');
/** `--read-threads N`: the server's `--read-threads` (its default when not given). */
const READ_THREADS = flag('read-threads', '');

interface AutocannonResult {
  errors: number;
  timeouts: number;
  non2xx: number;
  requests: { total: number; average: number };
}
type Autocannon = ((options: Record<string, unknown>) => {
  on(event: 'response', listener: (client: unknown, status: number, bytes: number, ms: number) => void): void;
  then: Promise<AutocannonResult>['then'];
}) & { track?: unknown };
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const env = { ...process.env, MDEC_MASTER_KEY: MASTER_KEY, BENCH_SECRET: '' };

async function mdec(db: string, args: string[], extra: Record<string, string> = {}): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [`${ROOT}bin/mdec.js`, '--db', db, ...args],
    {
      env: { ...env, ...extra },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return stdout;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** CPU seconds a process has used so far (user and system, all threads). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The server's peak resident set (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

/** `mdec simulator` (real rate limits, following real time) for the tenant, below `--simulator-nice`. */
async function startSimulatorProcess(): Promise<{ info: SimulatorInfo; stop(): Promise<void> }> {
  const args = [`${ROOT}bin/mdec.js`, 'simulator', '--devices', String(DEVICES), '--seed', '1'];
  const child = Number(SIMULATOR_NICE)
    ? spawn('nice', ['-n', SIMULATOR_NICE, process.execPath, ...args], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the simulator exited with ${code}`)));
  });
  return {
    info: JSON.parse(line) as SimulatorInfo,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mdec-bench-api-'));
  let db = join(dir, 'mdec.sqlite');
  let pgName: string | undefined;
  if (REUSE_STORE) db = REUSE_STORE;
  else if (STORE === 'postgres') {
    if (!PG_URL) throw new Error('--store postgres needs MDEC_BENCH_PG_URL or MDEC_TEST_PG_URL');
    pgName = `mdec_bench_api_${process.pid}`;
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`CREATE DATABASE ${pgName}`);
    await c.end();
    const url = new URL(PG_URL);
    url.pathname = `/${pgName}`;
    db = url.toString();
  }
  // The simulator stands in for Microsoft's cloud: a process of its own, so that serving the sync's
  // downloads never stalls the load generator's event loop here (which would count as latency).
  const sim = await startSimulatorProcess();
  let server: ChildProcess | undefined;
  let worker: ChildProcess | undefined;
  try {
    const t0 = Date.now();
    // A reused store already holds the tenant (the simulator's is the same, seed 1) and the user.
    await syncSimulatedTenant(db, sim, env, { reuse: REUSE_STORE !== '' });
    if (!REUSE_STORE) {
      await mdec(
        db,
        ['user', 'add', '--name', 'bench', '--role', 'admin', '--password-env', 'BENCH_PASSWORD'],
        { BENCH_PASSWORD: 'a bench password long enough' },
      );
    }
    const loadSeconds = (Date.now() - t0) / 1000;
    const token = (
      JSON.parse(await mdec(db, ['--json', 'token', 'create', '--user', 'bench'])) as { token: string }
    ).token;

    server = spawn(
      process.execPath,
      [
        `${ROOT}bin/mdec.js`,
        '--db',
        db,
        '--json',
        'serve',
        '--port',
        '0',
        '--no-worker',
        ...(READ_THREADS ? ['--read-threads', READ_THREADS] : []),
      ],
      {
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: server!.stdout! }).once('line', resolve);
      server!.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
    });
    const url = (JSON.parse(first) as { url: string }).url;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    // The sync asked for through the API is run by a worker of its own, as in production.
    worker = spawn(
      process.execPath,
      [
        `${ROOT}bin/mdec.js`,
        '--db',
        db,
        'worker',
        '--poll-seconds',
        '1',
        ...(WORKER_NICE ? ['--nice', WORKER_NICE] : []),
      ],
      {
        env,
        stdio: ['ignore', 'ignore', 'ignore'],
      },
    );

    const hostIds = (
      (await (await fetch(`${url}/api/hosts?limit=1000`, { headers })).json()) as {
        items: Array<{ id: number }>;
      }
    ).items.map((h) => h.id);
    type Run = { state: string; startedAt: string | null; finishedAt: string | null };
    const runOf = async (id: number) =>
      (await (await fetch(`${url}/api/runs/${id}`, { headers })).json()) as Run;
    /** Asks for a full sync and waits until the worker runs it. */
    const startSync = async (): Promise<number> => {
      const started = await fetch(`${url}/api/connectors/bench/runs`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ mode: 'full' }),
      });
      let runId: number;
      if (started.status === 409) {
        // A reused store may hold the run an earlier bench stopped: it goes on (resumed) instead.
        const newest = (await (await fetch(`${url}/api/runs?sort=-id&limit=1`, { headers })).json()) as {
          items: Array<{ id: number }>;
        };
        runId = newest.items[0]!.id;
      } else if (started.status === 202) runId = ((await started.json()) as { runId: number }).runId;
      else throw new Error(`a full sync was refused: ${await started.text()}`);
      for (let i = 0; i < 600; i++) {
        if ((await runOf(runId)).state !== 'queued') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      return runId;
    };
    const runIds = [await startSync()];
    const loadBefore = loadavg()[0]!;
    const loadStarted = Date.now();

    const scenarios: Record<string, { path?: string; paths?: string[] }> = {
      'hosts by risk with a query': {
        path: `/api/hosts?sort=-riskScore&limit=100&query=${encodeURIComponent('status:active AND risk>=low')}`,
      },
      'host details': { paths: hostIds.map((id) => `/api/hosts/${id}`) },
      'findings by severity': {
        path: `/api/findings?limit=100&query=${encodeURIComponent('severity>=high AND status:open')}`,
      },
    };
    const results: Record<string, unknown> = {};
    for (const [name, s] of Object.entries(scenarios)) {
      // Every scenario runs beside a full sync: one that has ended is followed by another.
      if ((await runOf(runIds.at(-1)!)).state !== 'processing') runIds.push(await startSync());
      const latencies: number[] = [];
      const cpuBefore = { server: cpuSeconds(server.pid!), worker: cpuSeconds(worker.pid!) };
      const errorKinds: Record<string, number> = {};
      const non2xxByStatus: Record<string, number> = {};
      let i = 0;
      // The load generator shares this process with the simulator: a stalled event loop here would
      // count as server latency.
      const loopDelay = monitorEventLoopDelay({ resolution: 10 });
      loopDelay.enable();
      const instance = autocannon({
        url,
        connections: CONNECTIONS,
        duration: SECONDS,
        headers,
        requests: [
          {
            method: 'GET',
            setupRequest: (req: Record<string, unknown>) => ({
              ...req,
              path: s.paths ? s.paths[i++ % s.paths.length] : s.path,
            }),
          },
        ],
      });
      instance.on('response', (_client, status, _bytes, ms) => {
        latencies.push(ms);
        if (status < 200 || status > 299) non2xxByStatus[status] = (non2xxByStatus[status] ?? 0) + 1;
      });
      (instance as unknown as { on(e: 'reqError', l: (err: Error & { code?: string }) => void): void }).on(
        'reqError',
        (err) => {
          const kind = err.code ?? err.message;
          errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
        },
      );
      const r = await instance;
      loopDelay.disable();
      const syncThroughout = (await runOf(runIds.at(-1)!)).state === 'processing';
      const cpu = {
        server: cpuSeconds(server.pid!) - cpuBefore.server,
        worker: worker.exitCode === null ? cpuSeconds(worker.pid!) - cpuBefore.worker : null,
      };
      latencies.sort((a, b) => a - b);
      results[name] = {
        requestsPerSecond: Math.round(r.requests.average),
        requests: r.requests.total,
        loadGeneratorLoopDelayMs: {
          p99: Math.round(loopDelay.percentile(99) / 1e5) / 10,
          max: Math.round(loopDelay.max / 1e5) / 10,
        },
        p50: percentile(latencies, 50),
        p95: percentile(latencies, 95),
        p99: percentile(latencies, 99),
        errors: r.errors,
        timeouts: r.timeouts,
        errorKinds,
        non2xx: r.non2xx,
        non2xxByStatus,
        // False when the sync ended before the scenario did: part of it ran without one.
        syncThroughout,
        // CPU the server used per answer (ms, all its threads), and the worker's share of the machine.
        serverCpuMsPerRequest: Math.round((cpu.server * 1000 * 100) / Math.max(1, r.requests.total)) / 100,
        workerCpuSeconds: cpu.worker === null ? null : Math.round(cpu.worker * 10) / 10,
      };
    }
    const runs = await Promise.all(runIds.map(runOf));
    const loadEnded = Date.now();
    const summary = {
      store: STORE,
      ...(KEEP_STORE ? { location: db } : {}),
      devices: DEVICES,
      connections: CONNECTIONS,
      readThreads: READ_THREADS ? Number(READ_THREADS) : 'default',
      simulatorNice: Number(SIMULATOR_NICE),
      secondsPerScenario: SECONDS,
      firstLoadSeconds: Math.round(loadSeconds),
      // The syncs that ran beside the load: each one's state and seconds (to now, if still running).
      syncsDuringLoad: runs.map((run) => ({
        state: run.state,
        seconds: Math.round(
          ((run.finishedAt ? Date.parse(run.finishedAt) : loadEnded) - Date.parse(run.startedAt ?? '')) /
            1000,
        ),
      })),
      loadSeconds: Math.round((loadEnded - loadStarted) / 1000),
      loadAverage: { before: Math.round(loadBefore * 10) / 10, after: Math.round(loadavg()[0]! * 10) / 10 },
      serverPeakRssMb: peakRssMb(server.pid!),
      workerPeakRssMb: worker.exitCode === null ? peakRssMb(worker.pid!) : null,
      scenarios: results,
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    for (const child of [worker, server]) {
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
    }
    await sim.stop();
    // The temporary folder holds the store unless it was reused, or is kept.
    if (REUSE_STORE || !KEEP_STORE) rmSync(dir, { recursive: true, force: true });
    if (pgName && PG_URL && !KEEP_STORE && !REUSE_STORE) {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
      await c.end();
    }
  }
}

await main();
