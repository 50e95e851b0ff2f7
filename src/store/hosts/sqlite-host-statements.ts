import type BetterSqlite3 from 'better-sqlite3';
import { sameColumnNames, snakeCase } from '../db/column-names.js';

/**
 * A host source of one connector as the machines stream compares it with what MDE sends now. A row
 * as an array: 100,000 of them per run, and arrays cost better-sqlite3 less to build than objects.
 */
export type StoredSource = [
  id: number,
  hostId: number,
  machineId: string,
  contentHash: string,
  lastSeen: string | null,
  hostStatus: string,
];

/** The values of `names` in order; better-sqlite3 refuses `undefined`, which Kysely writes as NULL. */
function bindable(values: Record<string, unknown>, names: readonly string[]): unknown[] {
  const out = new Array<unknown>(names.length);
  for (let i = 0; i < names.length; i++) {
    const v = values[names[i]!];
    out[i] = v === undefined ? null : v;
  }
  return out;
}

/**
 * The machines stream's statements on SQLite (docs/benchmarks.md#targets), prepared once per writer: a batch
 * of 5,000 devices costs a few statement executions per device instead of compiling and preparing
 * multi-row SQL for every chunk, and lists travel as one JSON parameter (json_each) rather than as
 * chunks of bound parameters. Column lists come from the value objects, so they always match the
 * portable path's.
 */
export class SqliteHostStatements {
  private readonly lookup: BetterSqlite3.Statement;
  private readonly countSources: BetterSqlite3.Statement;
  private readonly markSeenStatement: BetterSqlite3.Statement;
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
  }

  /** The connector's stored sources among `machineIds`, in one statement. */
  existing(connectorId: number, machineIds: readonly string[]): StoredSource[] {
    if (machineIds.length === 0) return [];
    return this.lookup.all(connectorId, JSON.stringify(machineIds)) as StoredSource[];
  }

  /** How many sources (of any connector) feed a host. */
  sourceCount(hostId: number): number {
    return Number((this.countSources.get(hostId) as { n: number }).n);
  }

  /** Marks unchanged sources as seen by this run, in one statement whatever their number. */
  markSeen(runId: number, sourceIds: readonly number[]): void {
    if (sourceIds.length > 0) this.markSeenStatement.run(runId, JSON.stringify(sourceIds));
  }

  /** Inserts one row into `table` (camelCase keys), returning its id. */
  insert(table: 'hosts' | 'host_sources', values: Record<string, unknown>): number {
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
  updateSource(id: number, values: Record<string, unknown>): void {
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
  setHostStatus(hostId: number, sourceId: number, lastSeen: string | null, status: string, at: string): void {
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
  mergedToFold(connectorId: number): Array<{ sourceId: number; oldHostId: number; survivorHostId: number }> {
    return this.statement(
      'fold',
      () =>
        `SELECT m.id AS sourceId, m.host_id AS oldHostId, s.host_id AS survivorHostId
         FROM host_sources m
         JOIN host_sources s ON s.connector_id = m.connector_id AND s.machine_id = m.merged_into_machine_id
         WHERE +m.connector_id = ? AND m.merged_into_machine_id IS NOT NULL AND m.host_id != s.host_id
         ORDER BY m.machine_id`,
    ).all(connectorId) as Array<{ sourceId: number; oldHostId: number; survivorHostId: number }>;
  }

  /** machine id → host id of a connector's sources (optionally those seen by a run or later), in one sequential pass. */
  hostIndex(connectorId: number, seenSinceRunId?: number): Map<string, number> {
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
