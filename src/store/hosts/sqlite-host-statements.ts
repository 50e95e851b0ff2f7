import type BetterSqlite3 from 'better-sqlite3';
import type { Insertable, Transaction, Updateable } from 'kysely';
import type { HostStatus } from '../../normalize/host-status.js';
import { sameColumnNames, snakeCase } from '../db/column-names.js';
import type { Database, HostSourceTable, HostTable } from '../db/schema.js';
import type {
  ExistingSource,
  HostStatements,
  JoiningSource,
  MergedSource,
  OwnSource,
} from './host-statements.js';
import type { LastSeenTouch } from './last-seen-touches.js';

/**
 * A host source of one connector as the machines stream compares it with what MDE sends now. A row
 * as an array: 100,000 of them per run, and arrays cost better-sqlite3 less to build than objects.
 */
type StoredSource = [
  id: number,
  hostId: number,
  machineId: string,
  contentHash: string,
  lastSeen: string | null,
  hostStatus: HostStatus,
];

/** The values of `names` in order; better-sqlite3 refuses `undefined`, which Kysely writes as NULL. */
function bindable(values: object, names: readonly string[]): unknown[] {
  const out = new Array<unknown>(names.length);
  for (let i = 0; i < names.length; i++) {
    const v = (values as Record<string, unknown>)[names[i]!];
    out[i] = v === undefined ? null : v;
  }
  return out;
}

/**
 * The machines stream's statements on SQLite (docs/benchmarks.md#targets), prepared once per writer: a batch
 * of 5,000 devices costs a few statement executions per device instead of compiling and preparing
 * multi-row SQL for every chunk, and lists travel as one JSON parameter (json_each) rather than as
 * chunks of bound parameters. Column lists come from the value objects, so they always match the
 * PostgreSQL path's. They run on the one connection better-sqlite3 has, inside the caller's
 * transaction, so the `trx` arguments go unused.
 */
export class SqliteHostStatements implements HostStatements {
  private readonly lookup: BetterSqlite3.Statement;
  private readonly countSources: BetterSqlite3.Statement;
  private readonly markSeenStatement: BetterSqlite3.Statement;
  private readonly touchSource: BetterSqlite3.Statement;
  private readonly touchHost: BetterSqlite3.Statement;
  private hostUpdate: { names: string[]; statement: BetterSqlite3.Statement } | undefined;
  private readonly prepared = new Map<string, BetterSqlite3.Statement>();
  private readonly byColumns = new Map<string, { names: string[]; statement: BetterSqlite3.Statement }>();

  constructor(private readonly sqlite: BetterSqlite3.Database) {
    // `IN (json_each)`: SQLite sorts the list and walks host_sources_machine in order. A plain join
    // with json_each lets the planner scan every source of the connector per batch instead.
    this.lookup = sqlite.prepare(
      `SELECT hs.id, hs.host_id, hs.machine_id, hs.content_hash, hs.last_seen, h.status
       FROM host_sources hs JOIN hosts h ON h.id = hs.host_id
       WHERE hs.connector_id = ? AND hs.machine_id IN (SELECT value FROM json_each(?))`,
    );
    this.lookup.raw(true);
    this.countSources = sqlite.prepare('SELECT count(*) AS n FROM host_sources WHERE host_id = ?');
    this.markSeenStatement = sqlite.prepare(
      'UPDATE host_sources SET seen_run_id = ? WHERE id IN (SELECT value FROM json_each(?))',
    );
    // At 100,000 devices a day's worth of reports is 100,000 last-seen touches.
    this.touchSource = sqlite.prepare('UPDATE host_sources SET last_seen = ?, seen_run_id = ? WHERE id = ?');
    // Only the host's most recently seen source writes it (a host several connectors report).
    this.touchHost = sqlite.prepare(
      `UPDATE hosts SET last_seen = ?, status = ? WHERE id = ? AND NOT EXISTS (
         SELECT 1 FROM host_sources o WHERE o.host_id = hosts.id AND o.id != ? AND o.last_seen > ?)`,
    );
  }

  /** The connector's stored sources among `machineIds`, in one statement, no per-row subquery (counted when needed). */
  async existing(
    _trx: Transaction<Database>,
    connectorId: number,
    machineIds: readonly string[],
  ): Promise<Map<string, ExistingSource>> {
    const existing = new Map<string, ExistingSource>();
    if (machineIds.length === 0) return existing;
    const rows = this.lookup.all(connectorId, JSON.stringify(machineIds)) as StoredSource[];
    for (const [id, hostId, machineId, contentHash, lastSeen, hostStatus] of rows) {
      existing.set(machineId, { id: Number(id), hostId: Number(hostId), contentHash, lastSeen, hostStatus });
    }
    return existing;
  }

  async sourceCount(source: ExistingSource): Promise<number> {
    return source.sourceCount ?? Number((this.countSources.get(source.hostId) as { n: number }).n);
  }

  /** In one statement whatever their number. */
  async markSeen(_trx: Transaction<Database>, runId: number, sourceIds: readonly number[]): Promise<void> {
    if (sourceIds.length > 0) this.markSeenStatement.run(runId, JSON.stringify(sourceIds));
  }

  /** Two prepared statements per device. */
  async touchLastSeen(
    _trx: Transaction<Database>,
    runId: number,
    touches: readonly LastSeenTouch[],
  ): Promise<void> {
    for (const t of touches) {
      this.touchSource.run(t.lastSeen, runId, t.sourceId);
      this.touchHost.run(t.lastSeen, t.status, t.hostId, t.sourceId, t.lastSeen ?? '');
    }
  }

  /**
   * A prepared statement: a second connector over a shared tenant attaches up to 100,000 sources in
   * its first sync.
   */
  async updateHost(
    _trx: Transaction<Database>,
    hostId: number,
    sourceId: number,
    columns: Updateable<HostTable>,
    lastSeen: string | null,
  ): Promise<void> {
    const names = Object.keys(columns);
    if (!this.hostUpdate || !sameColumnNames(this.hostUpdate.names, names)) {
      const statement = this.sqlite.prepare(
        `UPDATE hosts SET ${names.map((n) => `${snakeCase(n)} = ?`).join(', ')}
         WHERE id = ? AND status != 'merged' AND NOT EXISTS (
           SELECT 1 FROM host_sources o WHERE o.host_id = hosts.id AND o.id != ? AND o.last_seen > ?)`,
      );
      this.hostUpdate = { names, statement };
    }
    this.hostUpdate.statement.run(...bindable(columns, names), hostId, sourceId, lastSeen ?? '');
  }

  /**
   * One prepared INSERT per row; the new ids come back from the insert itself (no re-select by
   * identity key). Same rows, same order, same ids as multi-row inserts.
   */
  async insertJoining(trx: Transaction<Database>, rows: readonly JoiningSource[]): Promise<number[]> {
    const ids: number[] = [];
    for (const r of rows) {
      const sourceId = this.insert('host_sources', r.source);
      await this.updateHost(trx, r.hostId, sourceId, r.host, r.lastSeen);
      ids.push(sourceId);
    }
    return ids;
  }

  async insertOwn(
    _trx: Transaction<Database>,
    rows: readonly OwnSource[],
  ): Promise<Array<{ hostId: number; sourceId: number }>> {
    const out: Array<{ hostId: number; sourceId: number }> = [];
    for (const r of rows) {
      const hostId = this.insert('hosts', r.host);
      out.push({ hostId, sourceId: this.insert('host_sources', r.source(hostId)) });
    }
    return out;
  }

  /** Inserts one row into `table` (camelCase keys), returning its id. */
  private insert(
    table: 'hosts' | 'host_sources',
    values: Insertable<HostTable> | Insertable<HostSourceTable>,
  ): number {
    const names = Object.keys(values);
    const statement = this.columnStatement(
      `insert:${table}`,
      names,
      () =>
        `INSERT INTO ${table} (${names.map(snakeCase).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`,
    );
    return Number(statement.run(...bindable(values, names)).lastInsertRowid);
  }

  /** Updates one row of `host_sources` by id with `values` (camelCase keys). */
  async updateSource(
    _trx: Transaction<Database>,
    id: number,
    values: Partial<Insertable<HostSourceTable>>,
  ): Promise<void> {
    const names = Object.keys(values);
    this.columnStatement(
      `update:host_sources:${names.length}`,
      names,
      () => `UPDATE host_sources SET ${names.map((n) => `${snakeCase(n)} = ?`).join(', ')} WHERE id = ?`,
    ).run(...bindable(values, names), id);
  }

  /**
   * Sets a host's status unless another of its sources was seen later (the most recently seen
   * source wins, docs/data-model.md#host-identity-and-merging).
   */
  async setHostStatus(
    _trx: Transaction<Database>,
    hostId: number,
    sourceId: number,
    lastSeen: string | null,
    status: HostStatus,
    at: string,
  ): Promise<void> {
    this.statement(
      'status:hosts',
      () =>
        `UPDATE hosts SET status = ?, updated_at = ? WHERE id = ? AND NOT EXISTS (
           SELECT 1 FROM host_sources o WHERE o.host_id = hosts.id AND o.id != ? AND o.last_seen > ?)`,
    ).run(status, at, hostId, sourceId, lastSeen ?? '');
  }

  /**
   * Records MDE merged into a survivor of the same connector whose source is not on the survivor's
   * host yet (HostWriter.foldMerged). One pass over the table in rowid order (`+connector_id` keeps
   * SQLite off the machine index): only a row read tells whether a record was merged, and reading
   * every row through the index costs several times the sequential pass. In machine id order, the
   * order the index gave: folds of a chain (a into b, b into c) depend on it.
   */
  async mergedToFold(connectorId: number): Promise<MergedSource[]> {
    return this.statement(
      'fold',
      () =>
        `SELECT m.id AS sourceId, m.host_id AS oldHostId, s.host_id AS survivorHostId
         FROM host_sources m
         JOIN host_sources s ON s.connector_id = m.connector_id AND s.machine_id = m.merged_into_machine_id
         WHERE +m.connector_id = ? AND m.merged_into_machine_id IS NOT NULL AND m.host_id != s.host_id
         ORDER BY m.machine_id`,
    ).all(connectorId) as MergedSource[];
  }

  /** machine id → host id of a connector's sources (optionally those seen by a run or later), in one sequential pass. */
  async hostIndex(connectorId: number, seenSinceRunId?: number): Promise<Map<string, number>> {
    const rows = (
      seenSinceRunId === undefined
        ? this.statement(
            'index',
            () => 'SELECT machine_id, host_id FROM host_sources WHERE +connector_id = ?',
          )
            .raw()
            .all(connectorId)
        : this.statement(
            'index:seen',
            () => 'SELECT machine_id, host_id FROM host_sources WHERE +connector_id = ? AND seen_run_id >= ?',
          )
            .raw()
            .all(connectorId, seenSinceRunId)
    ) as Array<[string, number]>;
    return new Map(rows.map(([machineId, hostId]) => [machineId, Number(hostId)]));
  }

  /**
   * The statement for one column list, prepared again only when the list changes: the value objects
   * of a call site always have the same keys, and comparing them is far cheaper per row than joining
   * 37 names into a cache key.
   */
  private columnStatement(
    kind: string,
    names: readonly string[],
    text: () => string,
  ): BetterSqlite3.Statement {
    const cached = this.byColumns.get(kind);
    if (cached && sameColumnNames(cached.names, names)) return cached.statement;
    const statement = this.sqlite.prepare(text());
    this.byColumns.set(kind, { names: [...names], statement });
    return statement;
  }

  private statement(key: string, text: () => string): BetterSqlite3.Statement {
    let statement = this.prepared.get(key);
    if (!statement) {
      statement = this.sqlite.prepare(text());
      this.prepared.set(key, statement);
    }
    return statement;
  }
}
