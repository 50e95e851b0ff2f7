import { sql } from 'kysely';
import type { ScorableFinding, Scorer } from '../../normalize/scoring/compile-scorer.js';
import type { Store } from '../db/store.js';

export interface RescoreOptions {
  connectorId: number;
  scorer: Scorer;
  /** ISO time written to `updated_at` of the findings whose severity or score changed. */
  at: string;
  /** Only findings with an id up to this one (those stored before a sync began). */
  maxId?: number;
  /** Only findings whose CVE or machine is listed; absent means every finding of the connector. */
  only?: { cveIds: ReadonlySet<string>; machineIds: ReadonlySet<string> };
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
  id: number,
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
 * rescores without a re-sync). Walks the findings in id order in batches (keyset paging: each batch
 * one indexed range read, never the whole table in memory), scores each row in JS with the same
 * function the sync writes with, and writes only rows whose severity or score changed, touching
 * their `updated_at`. SQLite uses prepared statements; PostgreSQL one `UPDATE ... FROM unnest(...)`
 * per batch.
 */
export async function rescoreFindings(store: Store, options: RescoreOptions): Promise<RescoreResult> {
  const only = options.only;
  if (only && only.cveIds.size + only.machineIds.size <= TARGETED_LIMIT)
    return rescoreTargeted(store, options, only);
  const total = options.onProgress ? await countFindings(store, options) : 0;
  // PostgreSQL's ids are 32-bit integers: a larger bound would not even parse there.
  const maxId = options.maxId ?? 2_147_483_647;
  // Small batches keep each batch's rows young garbage; larger ones are no faster and raise peak RSS
  // (docs/benchmarks.md).
  const batchSize = options.batchSize ?? 5_000;
  const result: RescoreResult = { examined: 0, changed: 0 };
  const read = store.sqlite
    ? sqliteReader(store, options.connectorId, batchSize)
    : pgReader(store, options.connectorId, batchSize);
  const write = store.sqlite ? sqliteWriter(store, options.at) : pgWriter(store, options.at);
  const score = rowScorer(options.scorer);
  let after = 0;
  for (;;) {
    options.signal?.throwIfAborted();
    const rows = await read(after, maxId);
    if (rows.length === 0) break;
    const { ids, severities, scores, examined } = score(
      only ? rows.filter((r) => only.cveIds.has(r[1]) || only.machineIds.has(r[2])) : rows,
    );
    result.examined += examined;
    if (ids.length > 0) await write(ids, severities, scores);
    result.changed += ids.length;
    after = Number(rows[rows.length - 1]![0]);
    options.onProgress?.(result.examined, total);
    if (rows.length < batchSize) break;
  }
  return result;
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
  const maxId = options.maxId ?? 2_147_483_647;
  const write = store.sqlite ? sqliteWriter(store, options.at) : pgWriter(store, options.at);
  const result: RescoreResult = { examined: 0, changed: 0 };
  const seen = new Set<number>();
  const base = () =>
    store.db
      .selectFrom('findings')
      .select([
        'id',
        'cveId',
        'machineId',
        'sourceSeverity',
        'cvssScore',
        'exploitabilityLevel',
        'severity',
        'score',
      ])
      .where('connectorId', '=', options.connectorId)
      .where('id', '<=', maxId);
  const groups = [
    ...[...only.cveIds].map((cve) => () => base().where('cveId', '=', cve).execute()),
    // docs/data-model.md#finding-identity: the finding key is machineId|cve|vendor|name|version; '}' sorts
    // right after '|'.
    ...[...only.machineIds].map(
      (machine) => () =>
        base().where('findingKey', '>=', `${machine}|`).where('findingKey', '<', `${machine}}`).execute(),
    ),
  ];
  const score = rowScorer(options.scorer);
  for (const group of groups) {
    options.signal?.throwIfAborted();
    const rows: Row[] = [];
    for (const r of await group()) {
      const id = Number(r.id);
      if (seen.has(id)) continue;
      seen.add(id);
      rows.push([
        id,
        r.cveId,
        r.machineId,
        r.sourceSeverity,
        r.cvssScore,
        r.exploitabilityLevel,
        r.severity,
        r.score,
      ]);
    }
    const { ids, severities, scores, examined } = score(rows);
    result.examined += examined;
    if (ids.length > 0) await write(ids, severities, scores);
    result.changed += ids.length;
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
    const ids: number[] = [];
    const severities: number[] = [];
    const scores: number[] = [];
    for (const r of rows) {
      f.cveId = r[1];
      f.machineId = r[2];
      f.sourceSeverity = r[3];
      f.cvssScore = r[4] === null ? null : Number(r[4]);
      f.exploitabilityLevel = r[5];
      const s = scorer(f);
      if (s.severity !== Number(r[6]) || s.score !== Number(r[7])) {
        ids.push(Number(r[0]));
        severities.push(s.severity);
        scores.push(s.score);
      }
    }
    return { ids, severities, scores, examined: rows.length };
  };
}

async function countFindings(store: Store, options: RescoreOptions): Promise<number> {
  if (options.only) return 0;
  const row = await store.db
    .selectFrom('findings')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('connectorId', '=', options.connectorId)
    .where('id', '<=', options.maxId ?? 2_147_483_647)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

const COLUMNS = 'id, cve_id, machine_id, source_severity, cvss_score, exploitability_level, severity, score';

function sqliteReader(store: Store, connectorId: number, batchSize: number) {
  // `+connector_id` keeps the planner on the rowid range instead of a connector index plus a sort.
  const select = store
    .sqlite!.prepare(
      `SELECT ${COLUMNS} FROM findings WHERE id > ? AND id <= ? AND +connector_id = ? ORDER BY id LIMIT ?`,
    )
    .raw(true);
  return async (after: number, maxId: number) => select.all(after, maxId, connectorId, batchSize) as Row[];
}

function sqliteWriter(store: Store, at: string) {
  const db = store.sqlite!;
  const update = db.prepare('UPDATE findings SET severity = ?, score = ?, updated_at = ? WHERE id = ?');
  const apply = db.transaction((ids: number[], severities: number[], scores: number[]) => {
    for (let i = 0; i < ids.length; i++) update.run(severities[i], scores[i], at, ids[i]);
  });
  return async (ids: number[], severities: number[], scores: number[]) => apply(ids, severities, scores);
}

function pgReader(store: Store, connectorId: number, batchSize: number) {
  return async (after: number, maxId: number) => {
    const rows = await store.db
      .selectFrom('findings')
      .select([
        'id',
        'cveId',
        'machineId',
        'sourceSeverity',
        'cvssScore',
        'exploitabilityLevel',
        'severity',
        'score',
      ])
      .where('connectorId', '=', connectorId)
      .where('id', '>', after)
      .where('id', '<=', maxId)
      .orderBy('id')
      .limit(batchSize)
      .execute();
    return rows.map(
      (r) =>
        [
          r.id,
          r.cveId,
          r.machineId,
          r.sourceSeverity,
          r.cvssScore,
          r.exploitabilityLevel,
          r.severity,
          r.score,
        ] as Row,
    );
  };
}

function pgWriter(store: Store, at: string) {
  return async (ids: number[], severities: number[], scores: number[]) => {
    await sql`UPDATE findings AS f SET severity = v.severity, score = v.score, updated_at = ${at}
      FROM unnest(${ids}::int[], ${severities}::int[], ${scores}::float8[]) AS v(id, severity, score)
      WHERE f.id = v.id`.execute(store.db);
  };
}
