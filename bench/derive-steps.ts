/**
 * Times the post-sync steps (host risk, definition enrichment) on a synthetic SQLite store of the
 * target size (docs/benchmarks.md#targets: 100,000 devices, about 3 million findings). The data is
 * made in SQL, not synced, so this measures the steps alone; each CVE sits in one product, as in a
 * real tenant. Prints one JSON line.
 *
 *   npx tsx bench/derive-steps.ts [--hosts 100000] [--per-host 30] [--db /tmp/derive.sqlite]
 */
import { rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openStore } from '../src/store/db/open-store.js';
import { enrichDefinitions } from '../src/store/derive/definition-enrichment-step.js';
import { computeHostRisk } from '../src/store/derive/host-risk-step.js';
import { sqliteHandleOf } from './sqlite-handle.js';

const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '100000' },
    'per-host': { type: 'string', default: '30' },
    db: { type: 'string', default: '/tmp/mdec-derive-bench.sqlite' },
    keep: { type: 'boolean', default: false },
  },
});
const hosts = Number(values.hosts);
const findings = hosts * Number(values['per-host']);
const cves = 20_000;
const path = values.db!;
for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
const store = await openStore(path);
const sqlite = sqliteHandleOf(store);
const now = new Date().toISOString();
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;

let t = process.hrtime.bigint();
sqlite
  .prepare(
    `INSERT INTO connectors (name, tenant_id, client_id, cloud, api_url, login_url, scope, created_at, updated_at)
     VALUES ('bench', 't', 'c', 'commercial', 'https://api.security.microsoft.com', 'https://login.microsoftonline.com', 's', ?, ?)`,
  )
  .run(now, now);
const seq = (n: number) => `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${n})`;
sqlite.exec(`${seq(hosts)} INSERT INTO hosts (identity_key, name, created_at, updated_at)
  SELECT 'k' || i, 'h' || i, '${now}', '${now}' FROM n`);
sqlite.exec(`${seq(hosts)} INSERT INTO host_sources (host_id, connector_id, machine_id, risk_score, exposure_level,
    content_hash, seen_run_id, updated_at)
  SELECT i, 1, printf('%040x', i),
    CASE i % 5 WHEN 0 THEN 'None' WHEN 1 THEN 'Informational' WHEN 2 THEN 'Low' WHEN 3 THEN 'Medium' ELSE 'High' END,
    CASE i % 4 WHEN 0 THEN 'None' WHEN 1 THEN 'Low' WHEN 2 THEN 'Medium' ELSE 'High' END,
    'h', 1, '${now}' FROM n`);
sqlite.exec(`${seq(findings)} INSERT INTO findings (connector_id, host_id, machine_id, finding_key, cve_id,
    software_vendor, software_name, software_version, name, severity, score, status, first_found, last_found,
    state_time, security_update_available, recommendation_reference, content_hash, seen_run_id, updated_at)
  SELECT 1, (i % ${hosts}) + 1, printf('%040x', (i % ${hosts}) + 1), 'f' || i, 'CVE-2024-' || ((i * 7919) % ${cves}),
    'vendor' || (((i * 7919) % ${cves}) % 300), 'product' || (((i * 7919) % ${cves}) % 300), '1.' || (i % 7), 'n', 1 + (i % 5), ((i * 37) % 1000) / 10.0,
    CASE WHEN i % 10 = 0 THEN 'fixed' ELSE 'open' END, '${now}', '${now}', '${now}', i % 2,
    'va-_-vendor' || (((i * 7919) % ${cves}) % 300), 'h', 1, '${now}' FROM n`);
sqlite.exec(`${seq(hosts / 5)} INSERT INTO alerts (connector_id, id, host_id, machine_id, title, severity, status,
    alert_creation_time, content_hash, updated_at)
  SELECT 1, 'a' || i, ((i * 13) % ${hosts}) + 1, 'm', 'alert ' || i,
    CASE i % 4 WHEN 0 THEN 'Informational' WHEN 1 THEN 'Low' WHEN 2 THEN 'Medium' ELSE 'High' END,
    CASE i % 3 WHEN 0 THEN 'Resolved' WHEN 1 THEN 'New' ELSE 'InProgress' END, '${now}', 'h', '${now}' FROM n`);
sqlite.exec(`${seq(cves)} INSERT INTO vulnerability_definitions (connector_id, id, content_hash, seen_run_id, updated_at)
  SELECT 1, 'CVE-2024-' || (i - 1), 'h', 1, '${now}' FROM n`);
sqlite.exec('ANALYZE');
const buildSeconds = seconds(t);

const rssBefore = process.memoryUsage().rss;
t = process.hrtime.bigint();
const first = await computeHostRisk(store, 1, now);
const hostRiskFirst = seconds(t);
t = process.hrtime.bigint();
const again = await computeHostRisk(store, 1, now);
const hostRiskUnchanged = seconds(t);
const peakAfterHostRiskMb = Math.round(process.resourceUsage().maxRSS / 1024);
t = process.hrtime.bigint();
const definitions = await enrichDefinitions(store, 1, now);
const enrichSeconds = seconds(t);
await store.close();
console.log(
  JSON.stringify({
    hosts,
    findings,
    buildSeconds: Math.round(buildSeconds * 10) / 10,
    hostRiskFirstSeconds: Math.round(hostRiskFirst * 100) / 100,
    hostRiskChanged: first.changed,
    hostRiskUnchangedSeconds: Math.round(hostRiskUnchanged * 100) / 100,
    hostRiskUnchangedWrites: again.changed,
    definitionsEnriched: definitions,
    definitionEnrichmentSeconds: Math.round(enrichSeconds * 100) / 100,
    peakAfterHostRiskMb,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    rssBeforeStepsMb: Math.round(rssBefore / 1048576),
  }),
);
if (!values.keep) for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true });
