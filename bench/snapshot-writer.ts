/**
 * `npx tsx bench/snapshot-writer.ts [--devices 20000] [--batch 10000] [--prep SQL ...] [--reread] [--keep]`: the SQLite writer thread's
 * share of the full vulnerability sync (docs/benchmarks.md#targets), alone. A simulated tenant's rows are
 * parsed, normalised, scored and encoded as the main thread does (untimed), then stored into a fresh store by
 * `SqliteSnapshotWriter` on this thread, as the writer thread would; only `write` is timed. Prints µs
 * per row, the time of the first and last tenth of the batches (an index that grows costlier shows
 * there), and the size of the database file. `--reread` then stores the same rows again as a new but
 * equal snapshot (a new seen token and snapshot time) and prints its µs per row too.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseRecord } from '../src/mde/parse/parse-record.js';
import { VulnerabilityRowSchema } from '../src/mde/schemas/vulnerability-row.js';
import { normalizeFinding } from '../src/normalize/normalize-finding.js';
import { compileScorer } from '../src/normalize/scoring/compile-scorer.js';
import { DEFAULT_SCORING_MAP } from '../src/normalize/scoring/scoring-map.js';
import { pascalJsonLine } from '../src/simulator/export-casing.js';
import { createSimulatedTenant } from '../src/simulator/tenant/create-simulated-tenant.js';
import { openStore } from '../src/store/db/open-store.js';
import {
  deferFindingIndexesForFirstLoad,
  ensureFindingIndexes,
} from '../src/store/findings/first-load-indexes.js';
import { decodeRows, EncodedRowBuffer, FindingEncoder } from '../src/store/findings/snapshot-row-codec.js';
import { SqliteSnapshotWriter } from '../src/store/findings/sqlite-snapshot-writer.js';
import { sqliteHandleOf } from './sqlite-handle.js';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '20000' },
    batch: { type: 'string', default: '10000' },
    keep: { type: 'boolean', default: false },
    reread: { type: 'boolean', default: false },
    prep: { type: 'string', multiple: true, default: [] },
  },
});
const devices = Number(args.devices);
const batchSize = Number(args.batch);

const dir = mkdtempSync(join(tmpdir(), 'mdec-writer-bench-'));
const file = join(dir, 'writer.sqlite');
const store = await openStore(file);
const sqlite = sqliteHandleOf(store);
const now = new Date().toISOString();
const connectorId = Number(
  sqlite
    .prepare(
      `INSERT INTO connectors (name, tenant_id, client_id, cloud, api_url, login_url, scope, state, created_at, updated_at)
       VALUES ('bench', 't', 'c', 'commercial', 'https://api', 'https://login', 's', 'registered', ?, ?)`,
    )
    .run(now, now).lastInsertRowid,
);

const originMs = Date.UTC(2026, 9, 1);
const tenant = createSimulatedTenant({ devices, seed: 1, originMs, tenantId: 'bench-tenant' });
const epoch = tenant.snapshotEpoch(originMs + 3 * 86_400_000);
const machines = tenant.machineCount(tenant.snapshotTime(epoch).getTime());
const snapshotTime = tenant.snapshotTime(epoch).toISOString();

// Hosts first, as the machines stream leaves them: findings name their host.
const hostIds = new Map<string, number>();
const insertHost = sqlite.prepare(
  `INSERT INTO hosts (identity_key, name, created_at, updated_at) VALUES (?, ?, ?, ?)`,
);
sqlite.transaction(() => {
  for (let i = 0; i < machines; i++) {
    const id = tenant.machine(i, tenant.snapshotTime(epoch).getTime())!.id.toLowerCase();
    hostIds.set(id, Number(insertHost.run(`machine:${id}`, id, now, now).lastInsertRowid));
  }
})();

// As a first load does (first-load-indexes.ts): the randomly ordered indexes are built afterwards.
const deferred = await deferFindingIndexesForFirstLoad(store);
for (const statement of args.prep!) sqlite.exec(statement);
const writer = new SqliteSnapshotWriter(sqlite);
const scorer = compileScorer(DEFAULT_SCORING_MAP, { cves: new Map(), deviceValues: new Map() });
const encoder = new FindingEncoder();
const buffer = new EncodedRowBuffer();
const batchMs: number[] = [];
let rows = 0;
let writeMs = 0;

/** The batches as encoded, kept for `--reread`. */
const batches: string[] = [];

function store1(): void {
  const text = buffer.take();
  if (args.reread) batches.push(text);
  const started = performance.now();
  writer.write({ connectorId, seenToken: 1, at: now }, decodeRows(text), [], snapshotTime, {
    stream: 'bench',
    value: rows,
  });
  const ms = performance.now() - started;
  batchMs.push(ms);
  writeMs += ms;
}

for (let i = 0; i < machines; i++) {
  for (const row of tenant.vulnerabilityRows(i, epoch)) {
    const parsed = parseRecord(VulnerabilityRowSchema, JSON.parse(pascalJsonLine(row)));
    if (!parsed.ok) throw new Error(parsed.reason);
    const finding = normalizeFinding(parsed.value, undefined);
    if (!finding) continue;
    const s = scorer(finding);
    finding.severity = s.severity;
    finding.score = s.score;
    buffer.add(encoder.encode(finding, hostIds.get(finding.machineId) ?? null));
    rows++;
    if (buffer.size >= batchSize) store1();
  }
}
if (buffer.size > 0) store1();

const indexStarted = performance.now();
await ensureFindingIndexes(store);
const indexSeconds = deferred.length > 0 ? (performance.now() - indexStarted) / 1000 : 0;
// The same rows as a new snapshot: every device's rows equal what it has open.
let rereadMs = 0;
if (args.reread) {
  const rereadTime = new Date(Date.parse(snapshotTime) + 6 * 3_600_000).toISOString();
  const started = performance.now();
  for (const [i, text] of batches.entries())
    writer.write({ connectorId, seenToken: 2, at: now }, decodeRows(text), [], rereadTime, {
      stream: 'bench',
      value: i,
    });
  rereadMs = performance.now() - started;
}

const tenth = Math.max(1, Math.floor(batchMs.length / 10));
const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const perRow = (ms: number) => ((ms * 1000) / batchSize).toFixed(2);
const bytes = statSync(file).size + (statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0);
await store.close();
console.log(
  JSON.stringify({
    rows,
    usPerRow: Number(((writeMs * 1000) / rows).toFixed(2)),
    firstTenthUsPerRow: Number(perRow(avg(batchMs.slice(0, tenth)))),
    lastTenthUsPerRow: Number(perRow(avg(batchMs.slice(-tenth)))),
    writeSeconds: Number((writeMs / 1000).toFixed(1)),
    indexSeconds: Number(indexSeconds.toFixed(1)),
    bytesPerRow: Math.round(bytes / rows),
    ...(args.reread ? { rereadUsPerRow: Number(((rereadMs * 1000) / rows).toFixed(2)) } : {}),
  }),
);
if (!args.keep) rmSync(dir, { recursive: true, force: true });
else console.error(`kept ${file}`);
