/**
 * `npm run bench`: a simulated tenant through a full sync, a re-sync of unchanged data and a delta
 * sync, with the floor (download + gunzip + JSON.parse of the same export files, nothing stored),
 * printing the figures of docs/benchmarks.md#targets as a final JSON line.
 *
 *   npm run bench -- [--devices 20000] [--seed 1] [--postgres postgres://...] [--keep]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import { PRODUCT_NODE_FLAGS } from '../bin/node-flags.js';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '1' },
    postgres: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const devices = Number(args.devices);
if (!Number.isInteger(devices) || devices < 1) throw new Error('--devices must be a positive whole number');
const ROOT = new URL('../', import.meta.url).pathname;
const say = (text: string) => process.stderr.write(`${text}\n`);

interface SimInfo {
  apiUrl: string;
  loginUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

async function startSimulator(): Promise<{ info: SimInfo; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    [
      `${ROOT}bin/mdec.js`,
      'simulator',
      '--devices',
      String(devices),
      '--seed',
      args.seed!,
      '--rate-limits',
      'off',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  return {
    info: JSON.parse(line) as SimInfo,
    async stop() {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

async function token(info: SimInfo): Promise<string> {
  const res = await fetch(`${info.loginUrl}/${info.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: info.clientId,
      client_secret: info.clientSecret,
      scope: 'https://api.securitycenter.microsoft.com/.default',
    }),
  });
  return ((await res.json()) as { access_token: string }).access_token;
}

/** The floor: fetch, gunzip and JSON.parse every export row, storing nothing. */
async function floor(
  info: SimInfo,
): Promise<{ seconds: number; records: number; files: number; gzipBytes: number }> {
  const started = performance.now();
  const res = await fetch(`${info.apiUrl}/api/machines/SoftwareVulnerabilitiesExport`, {
    headers: { authorization: `Bearer ${await token(info)}` },
  });
  const { exportFiles } = (await res.json()) as { exportFiles: string[] };
  let records = 0;
  let gzipBytes = 0;
  for (const url of exportFiles) {
    const file = await fetch(url);
    gzipBytes += Number(file.headers.get('content-length') ?? 0);
    const lines = createInterface({
      input: Readable.fromWeb(file.body as never).pipe(createGunzip()),
      crlfDelay: Infinity,
    });
    for await (const line of lines) {
      if (line) {
        JSON.parse(line);
        records++;
      }
    }
  }
  return { seconds: (performance.now() - started) / 1000, records, files: exportFiles.length, gzipBytes };
}

interface SyncOnce {
  wallSeconds: number;
  peakRssMb: number;
  /** Seconds from each stream's start to its end (the streams run one after another). */
  streamSeconds: Record<string, number>;
  result: {
    state: string;
    apiCalls: number;
    counters: Record<
      string,
      { fetched: number; inserted: number; updated: number; unchanged: number; closed: number }
    >;
  };
}

async function syncOnce(db: string, mode: 'full' | 'delta' | 'reread', info: SimInfo): Promise<SyncOnce> {
  const child = spawn(
    process.execPath,
    // Under the V8 flags `mdec sync` runs with (bin/node-flags.js), so the figures are the product's.
    [
      ...PRODUCT_NODE_FLAGS,
      `${ROOT}bench/sync-once.mjs`,
      db,
      mode,
      JSON.stringify(info),
      `${info.apiUrl}/_sim/clock`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT },
  );
  let out = '';
  child.stdout!.on('data', (c) => {
    out += String(c);
  });
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`the ${mode} sync exited with ${code}`);
  const parsed = JSON.parse(out.trim().split('\n').pop()!) as SyncOnce;
  if (parsed.result.state !== 'succeeded') throw new Error(`the ${mode} sync ended ${parsed.result.state}`);
  return parsed;
}

async function admin(info: SimInfo, method: string, path: string, body?: unknown) {
  const res = await fetch(`${info.apiUrl}/_sim${path}`, {
    method,
    ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status}`);
  return res.json() as Promise<Record<string, unknown>>;
}

async function benchOne(label: string, db: string, info: SimInfo, floorSeconds: number) {
  say(`[${label}] full sync...`);
  const full = await syncOnce(db, 'full', info);
  say(`[${label}] full: ${full.wallSeconds.toFixed(1)} s, peak ${full.peakRssMb.toFixed(0)} MB`);
  say(`[${label}] re-sync of the same snapshot...`);
  const resync = await syncOnce(db, 'full', info);
  say(`[${label}] re-sync: ${resync.wallSeconds.toFixed(1)} s`);
  say(`[${label}] re-read of the same snapshot, compared row by row...`);
  const reread = await syncOnce(db, 'reread', info);
  say(`[${label}] re-read: ${reread.wallSeconds.toFixed(1)} s`);
  await admin(info, 'POST', '/clock/advance', { hours: 6 });
  // As with the export files, the simulator works out its change feed before the timed run: MDE
  // has it recorded, and the delta's figure is the connector's time, not the generator's.
  await admin(info, 'POST', '/changes/prepare?epochs=2');
  say(`[${label}] delta sync after 6 hours of change...`);
  const delta = await syncOnce(db, 'delta', info);
  say(`[${label}] delta: ${delta.wallSeconds.toFixed(1)} s`);
  const v = full.result.counters.vulnerabilities!;
  return {
    store: label,
    devices,
    records: v.fetched,
    wallSeconds: round(full.wallSeconds),
    floorSeconds: round(floorSeconds),
    ratioToFloor: round(full.wallSeconds / floorSeconds),
    recordsPerSecond: Math.round(v.fetched / full.wallSeconds),
    peakRssMb: Math.round(Math.max(full.peakRssMb, resync.peakRssMb, reread.peakRssMb, delta.peakRssMb)),
    apiCalls: full.result.apiCalls,
    resyncSeconds: round(resync.wallSeconds),
    resyncSpeedup: round(full.wallSeconds / resync.wallSeconds),
    rereadSeconds: round(reread.wallSeconds),
    rereadSpeedup: round(full.wallSeconds / reread.wallSeconds),
    deltaSeconds: round(delta.wallSeconds),
    deltaFraction: round(delta.wallSeconds / full.wallSeconds),
    deltaRecords: delta.result.counters.vulnerabilities!.fetched,
    // Where the time goes: the full sync's and the delta's streams, in seconds.
    fullStreamSeconds: full.streamSeconds,
    deltaStreamSeconds: delta.streamSeconds,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

/** A result with its ratio taken against `floorSeconds`, and every floor reading. */
function withFloor<T extends { wallSeconds: number }>(r: T, floorSeconds: number, readings: number[]) {
  return {
    ...r,
    floorSeconds: round(floorSeconds),
    floorReadings: readings.map(round),
    ratioToFloor: round(r.wallSeconds / floorSeconds),
  };
}

const sim = await startSimulator();
const dir = mkdtempSync(join(tmpdir(), 'mdec-bench-'));
try {
  say(`simulator: ${devices} devices at ${sim.info.apiUrl}; building export files...`);
  const prepared = await admin(sim.info, 'POST', '/exports/prepare?kind=vulnerabilities');
  say(`export files ready: ${prepared.files} files`);
  const f = await floor(sim.info);
  say(
    `floor: ${f.records} records in ${f.seconds.toFixed(1)} s (${(f.gzipBytes / 1e6).toFixed(0)} MB gzipped, ${f.files} files)`,
  );
  // The floor drifts with the machine's load (docs/benchmarks.md); it is taken again after the SQLite syncs
  // and the lower figure is the one the ratio divides by, so a slow first reading cannot flatter
  // the ratio.
  const sqlite = await benchOne('sqlite', join(dir, 'bench.sqlite'), sim.info, f.seconds);
  // The delta moved the clock: the second reading reads the snapshot the export files now hold.
  await admin(sim.info, 'POST', '/exports/prepare?kind=vulnerabilities');
  const again = await floor(sim.info);
  say(`floor again: ${again.records} records in ${again.seconds.toFixed(1)} s`);
  const floorSeconds = Math.min(f.seconds, again.seconds);
  const results = [withFloor(sqlite, floorSeconds, [f.seconds, again.seconds])];
  if (args.postgres) {
    // The clock moved 6 hours for the SQLite delta; PostgreSQL starts from that snapshot, whose
    // export files the second floor reading had built.
    results.push(
      withFloor(await benchOne('postgres', args.postgres, sim.info, floorSeconds), floorSeconds, [
        f.seconds,
        again.seconds,
      ]),
    );
  }
  const simStats = await admin(sim.info, 'GET', '/stats');
  const simMemory = simStats.memory as { peakRssMb: number };
  say(`simulator peak RSS: ${simMemory.peakRssMb} MB (served ${simStats.total} requests)`);
  for (const r of results) Object.assign(r, { simulatorPeakRssMb: simMemory.peakRssMb });
  for (const r of results.slice(0, -1)) process.stdout.write(`${JSON.stringify(r)}\n`);
  process.stdout.write(`${JSON.stringify(results[results.length - 1])}\n`);
} finally {
  await sim.stop();
  if (!args.keep) rmSync(dir, { recursive: true, force: true });
}
