import type { ScorableFinding, Scorer } from '../../normalize/scoring/compile-scorer.js';
import type { Store } from '../db/store.js';
import {
  deviceIdsOf,
  type FindingScore,
  type StoredFindingPosition,
  selectFindings,
  writeFindingScores,
} from '../findings/finding-repository.js';

export interface RescoreOptions {
  connectorId: number;
  scorer: Scorer;
  /** ISO time written to `updated_at` of the findings whose severity or score changed. */
  at: string;
  /** Only findings last written at or before this time (those a sync found stored when it began). */
  writtenUpTo?: string;
  /** Only findings whose CVE or machine is listed; absent means every finding of the connector. */
  only?: { cveIds: ReadonlySet<string>; machineIds: ReadonlySet<string> };
  /** Only open findings (a preview of a scoring map change counts what analysts see change). */
  openOnly?: boolean;
  /** Counts what would change and writes nothing (a preview); not with `only`. */
  dryRun?: boolean;
  /** Findings read per batch (one transaction of updates per batch). */
  batchSize?: number;
  onProgress?: (examined: number, total: number) => void;
  signal?: AbortSignal;
}

export interface RescoreResult {
  /** Findings read and scored. */
  examined: number;
  /** Findings whose severity or score changed, and so were written. */
  changed: number;
}

type Row = [
  position: StoredFindingPosition,
  cveId: string,
  machineId: string,
  sourceSeverity: string | null,
  cvss: number | null,
  exploit: string | null,
  severity: number,
  score: number,
];

/**
 * Rescores stored findings of one connector with a compiled scorer (a map edit
 * rescores without a re-sync). Walks the findings in key order in batches (keyset paging: each batch
 * one range read of the key, never the whole table in memory), scores each row in JS with the same
 * function the sync writes with, and writes only rows whose severity or score changed, touching
 * their `updated_at` (through the findings repository).
 */
export async function rescoreFindings(store: Store, options: RescoreOptions): Promise<RescoreResult> {
  const only = options.only;
  if (only && !options.dryRun && only.cveIds.size + only.machineIds.size <= TARGETED_LIMIT)
    return rescoreTargeted(store, options, only);
  const total = options.onProgress ? await countFindings(store, options) : 0;
  // Small batches keep each batch's rows young garbage; larger ones are no faster and raise peak RSS
  // (docs/benchmarks.md).
  const batchSize = options.batchSize ?? 5_000;
  const result: RescoreResult = { examined: 0, changed: 0 };
  const score = rowScorer(options.scorer);
  let after: StoredFindingPosition | undefined;
  for (;;) {
    options.signal?.throwIfAborted();
    const rows = await readBatch(store, options, after, batchSize);
    if (rows.length === 0) break;
    const { changed, examined } = score(
      only ? rows.filter((r) => only.cveIds.has(r[1]) || only.machineIds.has(r[2])) : rows,
    );
    result.examined += examined;
    if (changed.length > 0 && !options.dryRun)
      await writeFindingScores(store, options.connectorId, changed, options.at);
    result.changed += changed.length;
    after = rows[rows.length - 1]![0];
    options.onProgress?.(result.examined, total);
    if (rows.length < batchSize) break;
  }
  return result;
}

/** The columns a rescore reads, for {@link Row}. */
function rescoreColumns(store: Store) {
  const base = selectFindings(store).select([
    'deviceId',
    'softwareId',
    'cveId',
    'machineId',
    'sourceSeverity',
    'cvssScore',
    'exploitabilityLevel',
    'severity',
    'score',
    'updatedAt',
  ]);
  return base;
}

function toRow(r: {
  deviceId: number;
  softwareId: number;
  cveId: string;
  machineId: string;
  sourceSeverity: string | null;
  cvssScore: number | null;
  exploitabilityLevel: string | null;
  severity: number;
  score: number;
}): Row {
  return [
    { deviceId: Number(r.deviceId), softwareId: Number(r.softwareId), cveId: r.cveId },
    r.cveId,
    r.machineId,
    r.sourceSeverity,
    r.cvssScore,
    r.exploitabilityLevel,
    r.severity,
    r.score,
  ];
}

/** The next batch of the connector's findings after `after`, in key order. */
async function readBatch(
  store: Store,
  options: RescoreOptions,
  after: StoredFindingPosition | undefined,
  batchSize: number,
): Promise<Row[]> {
  let q = rescoreColumns(store).where('connectorId', '=', options.connectorId);
  if (options.writtenUpTo !== undefined) q = q.where('updatedAt', '<=', options.writtenUpTo);
  if (options.openOnly) q = q.where('status', '=', 'open');
  if (after)
    q = q.where((eb) =>
      eb(
        eb.refTuple('deviceId', 'softwareId', 'cveId'),
        '>',
        eb.tuple(after.deviceId, after.softwareId, after.cveId),
      ),
    );
  const rows = await q.orderBy('deviceId').orderBy('softwareId').orderBy('cveId').limit(batchSize).execute();
  return rows.map(toRow);
}

/**
 * Up to this many changed CVEs and machines, their findings are read through the indexes (the CVE
 * index, and the finding key, which starts with the machine id) instead of a walk over every finding:
 * a delta sync where a few device values changed must not read 3 million rows (docs/benchmarks.md#targets).
 */
const TARGETED_LIMIT = 2_000;

async function rescoreTargeted(
  store: Store,
  options: RescoreOptions,
  only: { cveIds: ReadonlySet<string>; machineIds: ReadonlySet<string> },
): Promise<RescoreResult> {
  const result: RescoreResult = { examined: 0, changed: 0 };
  const seen = new Set<string>();
  // The write time is compared here, not in SQL: given `updated_at <= ?` besides the CVE or device,
  // SQLite (no statistics) reads the connector's findings through the write-time index, which every
  // finding stored before the run satisfies, for each CVE and device (docs/benchmarks.md). A CVE's
  // or device's findings are read through their own index whatever their write time.
  const writtenUpTo = options.writtenUpTo;
  const base = () => rescoreColumns(store).where('connectorId', '=', options.connectorId);
  const devices = await deviceIdsOf(store.db, options.connectorId, only.machineIds);
  const groups = [
    ...[...only.cveIds].map((cve) => () => base().where('cveId', '=', cve).execute()),
    // A machine's findings sit together in the key, after its device id.
    ...[...devices.values()].map((device) => () => base().where('deviceId', '=', device).execute()),
  ];
  const score = rowScorer(options.scorer);
  for (const group of groups) {
    options.signal?.throwIfAborted();
    const rows: Row[] = [];
    for (const r of await group()) {
      if (writtenUpTo !== undefined && r.updatedAt > writtenUpTo) continue;
      const id = `${r.deviceId}|${r.softwareId}|${r.cveId}`;
      if (seen.has(id)) continue;
      seen.add(id);
      rows.push(toRow(r));
    }
    const { changed, examined } = score(rows);
    result.examined += examined;
    if (changed.length > 0) await writeFindingScores(store, options.connectorId, changed, options.at);
    result.changed += changed.length;
    options.onProgress?.(result.examined, 0);
  }
  return result;
}

/**
 * Scores rows and keeps those whose severity or score changed. One reused input object: millions of
 * rows, no allocation per row for the scorer's input.
 */
function rowScorer(scorer: Scorer) {
  const f: ScorableFinding = {
    cveId: '',
    machineId: '',
    sourceSeverity: null,
    cvssScore: null,
    exploitabilityLevel: null,
  };
  return (rows: readonly Row[]) => {
    const changed: FindingScore[] = [];
    for (const r of rows) {
      f.cveId = r[1];
      f.machineId = r[2];
      f.sourceSeverity = r[3];
      f.cvssScore = r[4] === null ? null : Number(r[4]);
      f.exploitabilityLevel = r[5];
      const s = scorer(f);
      if (s.severity !== Number(r[6]) || s.score !== Number(r[7]))
        changed.push({ ...r[0], severity: s.severity, score: s.score });
    }
    return { changed, examined: rows.length };
  };
}

async function countFindings(store: Store, options: RescoreOptions): Promise<number> {
  if (options.only) return 0;
  let q = selectFindings(store)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('connectorId', '=', options.connectorId);
  if (options.writtenUpTo !== undefined) q = q.where('updatedAt', '<=', options.writtenUpTo);
  if (options.openOnly) q = q.where('status', '=', 'open');
  const row = await q.executeTakeFirst();
  return Number(row?.n ?? 0);
}
