/**
 * `npx tsx bench/row-pipeline.ts [--devices 20000] [--rounds 5] [--batch 100] [--only read|pipeline|stages]`: the main thread's per-row cost of the
 * full vulnerability sync (docs/benchmarks.md#targets), without HTTP or a store. A simulated tenant's export
 * files (gzip JSON lines, PascalCase, as the simulator serves them) are built in memory, then read through
 * the export-file reader and taken row by row as `takeRow` does: parseRecord → normalizeFinding →
 * score → encode for the writer thread. Prints µs per row for the reader alone and for the whole
 * pipeline (best of the rounds), and a digest of every encoded batch, so a change can be shown to
 * leave the output byte for byte the same.
 *
 *   MDEC_BENCH_FILE=/tmp/rows.bin caches the generated files between runs.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { readExportFileBatches } from '../src/mde/export/export-file-reader.js';
import type { HttpResponse, HttpTransport } from '../src/mde/http/http-transport.js';
import { parseRecord } from '../src/mde/parse/parse-record.js';
import { VulnerabilityRowSchema } from '../src/mde/schemas/vulnerability-row.js';
import type { NormalizedFinding } from '../src/normalize/model.js';
import { normalizeFinding } from '../src/normalize/normalize-finding.js';
import { compileScorer } from '../src/normalize/scoring/compile-scorer.js';
import { DEFAULT_SCORING_MAP } from '../src/normalize/scoring/scoring-map.js';
import { pascalJsonLine } from '../src/simulator/export-casing.js';
import { createSimulatedTenant } from '../src/simulator/tenant/create-simulated-tenant.js';
import * as codec from '../src/store/findings/snapshot-row-codec.js';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '5' },
    'devices-per-file': { type: 'string', default: '5000' },
    only: { type: 'string' },
    batch: { type: 'string', default: '100' },
  },
});
const devices = Number(args.devices);
const rounds = Number(args.rounds);
const perFile = Number(args['devices-per-file']);
const say = (text: string) => process.stderr.write(`${text}\n`);

/** The export files of one snapshot, gzip as the simulator writes them (level 1). */
function buildFiles(): Buffer[] {
  const cache = process.env.MDEC_BENCH_FILE;
  const tag = `${devices}/${perFile}`;
  if (
    cache &&
    existsSync(cache) &&
    existsSync(`${cache}.tag`) &&
    readFileSync(`${cache}.tag`, 'utf8') === tag
  )
    return splitCache(readFileSync(cache));
  const originMs = Date.UTC(2026, 9, 1);
  const tenant = createSimulatedTenant({ devices, seed: 1, originMs, tenantId: 'bench-tenant' });
  const epoch = tenant.snapshotEpoch(originMs + 3 * 86_400_000);
  const machines = tenant.machineCount(tenant.snapshotTime(epoch).getTime());
  const files: Buffer[] = [];
  for (let first = 0; first < machines; first += perFile) {
    const parts: string[] = [];
    for (let i = first; i < Math.min(machines, first + perFile); i++)
      for (const row of tenant.vulnerabilityRows(i, epoch)) parts.push(`${pascalJsonLine(row)}\n`);
    files.push(gzipSync(parts.join(''), { level: 1 }));
  }
  if (cache) {
    const header = Buffer.from(JSON.stringify(files.map((f) => f.length)));
    const size = Buffer.alloc(4);
    size.writeUInt32BE(header.length);
    writeFileSync(cache, Buffer.concat([size, header, ...files]));
    writeFileSync(`${cache}.tag`, tag);
  }
  return files;
}

function splitCache(data: Buffer): Buffer[] {
  const size = data.readUInt32BE(0);
  const lengths = JSON.parse(data.subarray(4, 4 + size).toString()) as number[];
  let at = 4 + size;
  return lengths.map((n) => {
    const f = data.subarray(at, at + n);
    at += n;
    return f;
  });
}

/** Serves file i at `mem://i`, in 64 KB chunks as a socket would deliver them. */
function memoryTransport(files: Buffer[]): HttpTransport {
  return {
    async request(req): Promise<HttpResponse> {
      const gz = files[Number(req.url.slice('mem://'.length))]!;
      const chunks: Buffer[] = [];
      for (let at = 0; at < gz.length; at += 65_536) chunks.push(gz.subarray(at, at + 65_536));
      return { status: 200, headers: {}, body: Readable.from(chunks) };
    },
  };
}

const files = buildFiles();
const transport = memoryTransport(files);
say(`${devices} devices, ${files.length} files, ${files.reduce((n, f) => n + f.length, 0)} gzip bytes`);

/** Download + gunzip + split + JSON.parse only: the reader's share. */
async function readOnly(): Promise<number> {
  let rows = 0;
  for (let i = 0; i < files.length; i++)
    for await (const batch of readExportFileBatches(transport, `mem://${i}`, {
      batchSize: Number(args.batch),
    }))
      rows += batch.length;
  return rows;
}

/**
 * The session's encoding, through whatever the codec offers, so that this file also runs on a checkout
 * from before `encodeFinding` and `EncodedRowBuffer` (the "before" figures).
 */
const api = codec as typeof codec & {
  encodeFinding?: (f: NormalizedFinding, hostId: number | null) => string;
  encodeRow?: (row: unknown[]) => string;
  toSnapshotRow?: (f: NormalizedFinding, hostId: number | null) => unknown[];
  FindingEncoder?: new () => { encode(f: NormalizedFinding, hostId: number | null): string };
  EncodedRowBuffer?: new () => { add(line: string): void; take(): string; readonly size: number };
};
const encode = newEncoder();
function newEncoder(): (f: NormalizedFinding, hostId: number | null) => string {
  if (api.FindingEncoder) {
    const encoder = new api.FindingEncoder();
    return (f, hostId) => encoder.encode(f, hostId);
  }
  return api.encodeFinding ?? ((f, hostId) => api.encodeRow!(api.toSnapshotRow!(f, hostId)));
}
function lineBuffer() {
  if (api.EncodedRowBuffer) return new api.EncodedRowBuffer();
  let lines: string[] = [];
  return {
    add: (line: string) => lines.push(line),
    take: () => {
      const text = codec.joinRows(lines);
      lines = [];
      return text;
    },
    get size() {
      return lines.length;
    },
  };
}

/** The whole main-thread path of `takeRow` and the SQLite session's `add`/`flush`. */
async function pipeline(digest?: ReturnType<typeof createHash>): Promise<number> {
  const scorer = compileScorer(DEFAULT_SCORING_MAP, { cves: new Map(), deviceValues: new Map() });
  let rows = 0;
  const lines = lineBuffer();
  let hostIds = 0;
  const hostIndex = new Map<string, number>();
  let first = true;
  const flush = () => {
    const text = lines.take();
    if (text.length === 0) return;
    // Batches joined by the record separator: the digest of every line, wherever the batches end.
    if (!first) digest?.update('\u0002');
    digest?.update(text);
    first = false;
  };
  for (let i = 0; i < files.length; i++) {
    let scanned = new Set<string>();
    for await (const batch of readExportFileBatches(transport, `mem://${i}`, {
      batchSize: Number(args.batch),
    })) {
      for (const raw of batch) {
        rows++;
        const parsed = parseRecord(VulnerabilityRowSchema, raw);
        if (!parsed.ok) throw new Error(parsed.reason);
        scanned.add(parsed.value.deviceId.toLowerCase());
        const finding = normalizeFinding(parsed.value, undefined);
        if (!finding) continue;
        const s = scorer(finding);
        finding.severity = s.severity;
        finding.score = s.score;
        let hostId = hostIndex.get(finding.machineId);
        if (hostId === undefined) {
          hostId = ++hostIds;
          hostIndex.set(finding.machineId, hostId);
        }
        lines.add(encode(finding, hostId));
      }
      if (lines.size >= 10_000) {
        flush();
        scanned = new Set();
      }
    }
    flush();
  }
  return rows;
}

/** Wall time and CPU time (all threads: zlib runs in the thread pool) per row; best and median. */
async function time(name: string, run: () => Promise<number>): Promise<void> {
  const wall: number[] = [];
  const cpu: number[] = [];
  const gc: number[] = [];
  let rows = 0;
  let gcMs = 0;
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcMs += entry.duration;
  });
  observer.observe({ entryTypes: ['gc'] });
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    const startCpu = process.cpuUsage();
    gcMs = 0;
    rows = await run();
    const used = process.cpuUsage(startCpu);
    wall.push(Number(process.hrtime.bigint() - start) / 1000 / rows);
    cpu.push((used.user + used.system) / rows);
    // GC entries arrive asynchronously: let them land before reading the sum.
    await new Promise((resolve) => setImmediate(resolve));
    gc.push((gcMs * 1000) / rows);
  }
  observer.disconnect();
  const fmt = (samples: number[]) => {
    samples.sort((a, b) => a - b);
    return `best ${samples[0]!.toFixed(2)} median ${samples[samples.length >> 1]!.toFixed(2)}`;
  };
  console.log(`${name.padEnd(9)} ${rows} rows  µs/row wall ${fmt(wall)}  cpu ${fmt(cpu)}  gc ${fmt(gc)}`);
}

/**
 * The synchronous stages over rows already parsed from JSON (no gunzip, no thread pool, no awaits):
 * CPU time per row of each stage, cumulative, best of the rounds.
 */
async function stages(): Promise<void> {
  const raws: Record<string, unknown>[] = [];
  for await (const batch of readExportFileBatches(transport, 'mem://0', { batchSize: Number(args.batch) })) {
    raws.push(...batch);
    if (raws.length >= 100_000) break;
  }
  const scorer = compileScorer(DEFAULT_SCORING_MAP, { cves: new Map(), deviceValues: new Map() });
  const cumulative = [
    ['parse', 1],
    ['+normalize', 2],
    ['+score', 3],
    ['+encode', 4],
  ] as const;
  for (const [name, depth] of cumulative) {
    const cpu: number[] = [];
    for (let r = 0; r < rounds + 1; r++) {
      const lines = lineBuffer();
      const start = process.cpuUsage();
      for (const raw of raws) {
        const parsed = parseRecord(VulnerabilityRowSchema, raw);
        if (!parsed.ok || depth < 2) continue;
        const finding = normalizeFinding(parsed.value, undefined);
        if (!finding || depth < 3) continue;
        const s = scorer(finding);
        finding.severity = s.severity;
        finding.score = s.score;
        if (depth < 4) continue;
        lines.add(encode(finding, 1));
        if (lines.size >= 10_000) lines.take();
      }
      lines.take();
      const used = process.cpuUsage(start);
      if (r > 0) cpu.push((used.user + used.system) / raws.length);
    }
    cpu.sort((a, b) => a - b);
    console.log(
      `stage ${name.padEnd(11)} cpu µs/row best ${cpu[0]!.toFixed(2)} median ${cpu[cpu.length >> 1]!.toFixed(2)}`,
    );
  }
}

if (args.only === 'stages') {
  await stages();
  process.exit(0);
}

const digest = createHash('sha256');
const total = await pipeline(digest);
console.log(`output digest ${digest.digest('hex').slice(0, 16)} over ${total} rows`);
if (args.only !== 'pipeline') await time('read', readOnly);
if (args.only !== 'read') await time('pipeline', () => pipeline());
