/**
 * `npm run bench:rescore -- --findings 3000000`: rescoring after a scoring-map edit
 * (docs/benchmarks.md#targets: 3 million findings in under a minute on SQLite). Builds a SQLite store with N
 * synthetic findings over N/30 devices and a CVE catalog (prepared statements in large transactions, indexes
 * built after the load), scores them with the default map, then edits the map and times `rescoreConnector` in
 * a process of its own (bench/rescore-once.ts). Prints its figures as a final JSON line.
 *
 *   npm run bench:rescore -- [--findings 100000] [--seed 1] [--keep]
 *   (BENCH_BUILD_ONLY=1 only builds the store and prints its path, for profiling by hand.)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PRODUCT_NODE_FLAGS } from '../bin/node-flags.js';
import { parseConnectorOptions } from '../src/normalize/connector-options.js';
import { type CveFactors, compileScorer } from '../src/normalize/scoring/compile-scorer.js';
import { exploitLevelOfFlags } from '../src/normalize/scoring/scoring-formula.js';
import { DEFAULT_SCORING_MAP } from '../src/normalize/scoring/scoring-map.js';
import { SecretBox } from '../src/security/secret-box.js';
import { seededRandom } from '../src/simulator/tenant/random.js';
import { ConnectorRepository } from '../src/store/connectors/connector-repository.js';
import { openStore } from '../src/store/db/open-store.js';
import { createFindingIndexes, FINDING_SECONDARY_INDEXES } from '../src/store/findings/finding-indexes.js';
import { sqliteHandleOf } from './sqlite-handle.js';

const { values: args } = parseArgs({
  options: {
    findings: { type: 'string', default: '100000' },
    seed: { type: 'string', default: '1' },
    keep: { type: 'boolean', default: false },
  },
});
const total = Number(args.findings);
if (!Number.isInteger(total) || total < 1) throw new Error('--findings must be a positive whole number');
const ROOT = new URL('../', import.meta.url).pathname;
const say = (text: string) => process.stderr.write(`${text}\n`);

const rnd = seededRandom(Number(args.seed));
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const severityOf = (cvss: number) =>
  cvss >= 9 ? 'Critical' : cvss >= 7 ? 'High' : cvss >= 4 ? 'Medium' : 'Low';
const LEVELS = ['NoExploit', 'ExploitIsPublic', 'ExploitIsVerified', 'ExploitIsInKit'] as const;

const dir = mkdtempSync(join(tmpdir(), 'mdec-bench-rescore-'));
const dbFile = join(dir, 'mdec.sqlite');
const store = await openStore(dbFile);
const sqlite = sqliteHandleOf(store);
const at = '2026-11-01T00:00:00.000Z';
const connector = await new ConnectorRepository(store, SecretBox.fromKey(randomBytes(32))).create({
  name: 'bench',
  network: 'default',
  tenantId: '11111111-2222-4333-8444-555555555555',
  clientId: '11111111-2222-4333-8444-555555555555',
  cloud: 'commercial',
  apiUrl: 'https://api.security.microsoft.com',
  loginUrl: 'https://login.microsoftonline.com',
  scope: 'https://api.securitycenter.microsoft.com/.default',
  active: true,
  schedule: null,
  options: parseConnectorOptions({}),
  credentials: { clientSecret: 'bench' },
});

const buildStart = performance.now();
// A tenant's shape (docs/benchmarks.md#targets): 3 million findings on 100,000 devices; a catalog of CVEs
// where a few are everywhere (browser and OS CVEs) and most are rare.
const devices = Math.max(1, Math.round(total / 30));
const cveCount = Math.min(25_000, Math.max(50, Math.round(total / 120)));
const machineIds: string[] = [];
const deviceValues = new Map<string, string | null>();
const insertHost = sqlite.prepare(
  'INSERT INTO hosts (identity_key, name, created_at, updated_at) VALUES (?, ?, ?, ?)',
);
const insertSource = sqlite.prepare(
  'INSERT INTO host_sources (host_id, connector_id, machine_id, device_value, content_hash, seen_run_id, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?)',
);
sqlite.transaction(() => {
  for (let d = 0; d < devices; d++) {
    const machineId = hex(d, 8).padEnd(40, 'a');
    const u = rnd();
    const value = u < 0.8 ? 'Normal' : u < 0.88 ? 'High' : u < 0.95 ? 'Low' : null;
    const hostId = Number(
      insertHost.run(`mde:${connector.id}:${machineId}`, machineId, at, at).lastInsertRowid,
    );
    insertSource.run(hostId, connector.id, machineId, value, '', at);
    machineIds.push(machineId);
    deviceValues.set(machineId, value);
  }
})();

const cves: Array<{ id: string; cvss: number | null; level: number }> = [];
const factors = new Map<string, CveFactors>();
const insertCve = sqlite.prepare(
  'INSERT INTO vulnerability_definitions (connector_id, id, severity, cvss_v3, epss, public_exploit, exploit_verified, exploit_in_kit, content_hash, seen_run_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)',
);
sqlite.transaction(() => {
  for (let c = 0; c < cveCount; c++) {
    const id = `CVE-2026-${String(10000 + c)}`;
    const cvss = rnd() < 0.03 ? null : Math.round((2 + rnd() * 8) * 10) / 10;
    const u = rnd();
    const level = u < 0.75 ? 0 : u < 0.9 ? 1 : u < 0.97 ? 2 : 3;
    // EPSS is mostly tiny with a long tail, as FIRST publishes it.
    const epss = rnd() < 0.1 ? null : Math.round(rnd() ** 6 * 1e5) / 1e5;
    const severity = cvss === null ? 'Medium' : severityOf(cvss);
    insertCve.run(
      connector.id,
      id,
      severity,
      cvss,
      epss,
      level >= 1 ? 1 : 0,
      level >= 2 ? 1 : 0,
      level >= 3 ? 1 : 0,
      '',
      at,
    );
    cves.push({ id, cvss, level });
    factors.set(id, {
      cvssV3: cvss,
      severity,
      epss,
      exploitLevel: exploitLevelOfFlags(level >= 1, level >= 2, level >= 3),
    });
  }
})();

// The load is fastest without the findings indexes; they are built once afterwards, as they would
// stand after a real sync.
for (const index of FINDING_SECONDARY_INDEXES) sqlite.exec(`DROP INDEX IF EXISTS ${index.name}`);
sqlite.exec('DROP INDEX IF EXISTS findings_key');
const scorer = compileScorer(DEFAULT_SCORING_MAP, { cves: factors, deviceValues });
const insertFinding = sqlite.prepare(
  `INSERT INTO findings (connector_id, host_id, machine_id, finding_key, cve_id, software_vendor, software_name,
     software_version, name, source_severity, severity, score, status, first_found, last_found, state_time,
     exploitability_level, cvss_score, content_hash, seen_run_id, updated_at)
   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)`,
);
const PRODUCTS = [
  'edge_chromium-based',
  'chrome',
  'firefox',
  'windows_11',
  'office',
  'java',
  'zoom',
  '7-zip',
];
const perTransaction = 100_000;
for (let start = 0; start < total; start += perTransaction) {
  sqlite.transaction(() => {
    for (let i = start; i < Math.min(total, start + perTransaction); i++) {
      const d = i % devices;
      const machineId = machineIds[d]!;
      // Skewed toward the first CVEs: a few are on most devices.
      const cve = cves[Math.floor(rnd() ** 3 * cveCount)]!;
      const product = PRODUCTS[i % PRODUCTS.length]!;
      const version = `1.${i % 97}.${Math.floor(i / devices)}`;
      const cvss = rnd() < 0.9 ? cve.cvss : null;
      const sourceSeverity = cve.cvss === null ? 'Medium' : severityOf(cve.cvss);
      const exploit = LEVELS[cve.level]!;
      const s = scorer({
        cveId: cve.id,
        machineId,
        sourceSeverity,
        cvssScore: cvss,
        exploitabilityLevel: exploit,
      });
      insertFinding.run(
        connector.id,
        d + 1,
        machineId,
        `${machineId}|${cve.id}|vendor|${product}|${version}|${i}`,
        cve.id,
        'vendor',
        product,
        version,
        `vendor ${product} ${version} ${cve.id}`,
        sourceSeverity,
        s.severity,
        s.score,
        rnd() < 0.9 ? 'open' : 'fixed',
        at,
        at,
        at,
        exploit,
        cvss,
        '',
        at,
      );
    }
  })();
  if ((start / perTransaction) % 5 === 4) say(`built ${Math.min(total, start + perTransaction)} findings`);
}
sqlite.exec('CREATE UNIQUE INDEX findings_key ON findings (connector_id, finding_key)');
await createFindingIndexes(store.db.withoutPlugins() as never);
sqlite.exec('ANALYZE');
const buildSeconds = (performance.now() - buildStart) / 1000;
say(`built ${total} findings on ${devices} devices, ${cveCount} CVEs in ${buildSeconds.toFixed(1)} s`);

await store.close();
if (process.env.BENCH_BUILD_ONLY) {
  args.keep = true;
  say(`built ${dbFile}`);
  process.exit(0);
}
// The rescore runs in a process of its own: its time and peak RSS, not the build's.
const child = spawn(
  process.execPath,
  [...PRODUCT_NODE_FLAGS, '--import', 'tsx', `${ROOT}bench/rescore-once.ts`, dbFile, String(connector.id)],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: ROOT,
  },
);
let out = '';
child.stdout!.on('data', (c) => {
  out += String(c);
});
const [code] = (await once(child, 'exit')) as [number];
if (code !== 0) throw new Error(`rescore-once exited with ${code}`);
const once_ = JSON.parse(out.trim().split('\n').pop()!) as {
  examined: number;
  changed: number;
  hostsChanged: number;
  rescoreSeconds: number;
  peakRssMb: number;
};
const buildPeakRssMb = Math.round(process.resourceUsage().maxRSS / 1024);
if (args.keep) say(`kept ${dir}`);
else rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({
    findings: total,
    devices,
    cves: cveCount,
    changed: once_.changed,
    hostsChanged: once_.hostsChanged,
    buildSeconds: Math.round(buildSeconds * 10) / 10,
    rescoreSeconds: Math.round(once_.rescoreSeconds * 100) / 100,
    findingsPerSecond: Math.round(once_.examined / once_.rescoreSeconds),
    peakRssMb: Math.round(once_.peakRssMb),
    buildPeakRssMb,
  })}\n`,
);
