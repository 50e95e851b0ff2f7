import type BetterSqlite3 from 'better-sqlite3';
import { decideForSnapshot, type FindingStatus } from '../sync/finding-lifecycle.js';
import type { Checkpoint, SnapshotBatchResult } from './finding-writer.js';
import { ROW, type SnapshotRow } from './snapshot-row-codec.js';

/** Column order of the insert; values come from {@link SqliteSnapshotWriter.write}. */
const INSERT_COLUMNS = [
  'connector_id',
  'host_id',
  'machine_id',
  'finding_key',
  'cve_id',
  'software_vendor',
  'software_name',
  'software_version',
  'name',
  'source_severity',
  'severity',
  'score',
  'status',
  'reopened_count',
  'first_found',
  'last_found',
  'last_fixed',
  'state_time',
  'security_update_available',
  'recommended_security_update',
  'recommended_security_update_id',
  'recommended_security_update_url',
  'disk_paths',
  'registry_paths',
  'exploitability_level',
  'recommendation_reference',
  'end_of_support_status',
  'end_of_support_date',
  'rbac_group_id',
  'rbac_group_name',
  'cvss_score',
  'content_hash',
  'seen_run_id',
  'extra',
  'custom_attributes',
  'updated_at',
] as const;

/** The columns MDE's row decides, rewritten when its content changes, with their row fields. */
const CONTENT: ReadonlyArray<[column: string, field: number]> = [
  ['name', ROW.name],
  ['source_severity', ROW.sourceSeverity],
  ['severity', ROW.severity],
  ['score', ROW.score],
  ['security_update_available', ROW.securityUpdateAvailable],
  ['recommended_security_update', ROW.recommendedSecurityUpdate],
  ['recommended_security_update_id', ROW.recommendedSecurityUpdateId],
  ['recommended_security_update_url', ROW.recommendedSecurityUpdateUrl],
  ['disk_paths', ROW.diskPaths],
  ['registry_paths', ROW.registryPaths],
  ['exploitability_level', ROW.exploitabilityLevel],
  ['recommendation_reference', ROW.recommendationReference],
  ['rbac_group_id', ROW.rbacGroupId],
  ['rbac_group_name', ROW.rbacGroupName],
  ['cvss_score', ROW.cvssScore],
  ['content_hash', ROW.contentHash],
  ['extra', ROW.extra],
  ['custom_attributes', ROW.customAttributes],
];

/** Where a snapshot batch belongs; plain data, so it can cross to a writer thread. */
export interface SnapshotWriteContext {
  connectorId: number;
  seenToken: number;
  /** ISO time of this write. */
  at: string;
}

interface Statements {
  lookup: BetterSqlite3.Statement;
  insert: BetterSqlite3.Statement;
  update: BetterSqlite3.Statement;
  touch: BetterSqlite3.Statement;
  scanned: BetterSqlite3.Statement;
  checkpoint: BetterSqlite3.Statement;
}

/**
 * The full-snapshot write path on SQLite with prepared statements and one synchronous transaction
 * per batch: the same decisions as the portable Kysely path, without building SQL per batch. At
 * millions of rows that difference is most of the store's time (design.md 7: lean prepared
 * statements and large transactions). It runs on the snapshot writer thread
 * (`sqlite-snapshot-worker.ts`) or inline, with the same code.
 */
export class SqliteSnapshotWriter {
  private readonly statements: Statements;

  constructor(private readonly db: BetterSqlite3.Database) {
    this.statements = {
      lookup: db.prepare(
        'SELECT id, status, content_hash AS contentHash, reopened_count AS reopenedCount FROM findings WHERE connector_id = ? AND finding_key = ?',
      ),
      insert: db.prepare(
        `INSERT INTO findings (${INSERT_COLUMNS.join(', ')}) VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')})`,
      ),
      update: db.prepare(
        `UPDATE findings SET ${CONTENT.map(([c]) => `${c} = ?`).join(', ')}, host_id = ?, status = 'open', reopened_count = ?, last_found = ?, state_time = ?, seen_run_id = ?, updated_at = ? WHERE id = ?`,
      ),
      touch: db.prepare('UPDATE findings SET seen_run_id = ?, last_found = ?, state_time = ? WHERE id = ?'),
      scanned: db.prepare(
        'UPDATE host_sources SET vulnerability_seen_token = ? WHERE connector_id = ? AND machine_id = ?',
      ),
      checkpoint: db.prepare(
        'INSERT INTO sync_checkpoints (connector_id, stream, value, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (connector_id, stream) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      ),
    };
  }

  /**
   * One batch in one transaction: the devices it saw marked scanned, its findings inserted, touched
   * or rewritten, and the stream checkpoint, so a killed run resumes after the last batch stored.
   * Rows must have distinct finding keys.
   */
  write(
    ctx: SnapshotWriteContext,
    rows: Iterable<SnapshotRow>,
    scannedMachineIds: readonly string[],
    snapshotTime: string,
    checkpoint: Checkpoint,
  ): SnapshotBatchResult {
    const s = this.statements;
    const result: SnapshotBatchResult = { inserted: 0, updated: 0, unchanged: 0, reopened: 0 };
    this.db.transaction(() => {
      for (const machineId of scannedMachineIds) s.scanned.run(ctx.seenToken, ctx.connectorId, machineId);
      for (const r of rows) {
        const stored = s.lookup.get(ctx.connectorId, r[ROW.findingKey]) as
          | { id: number; status: FindingStatus; contentHash: string; reopenedCount: number }
          | undefined;
        const decision = decideForSnapshot(
          stored && { ...stored, stateTime: '', rbacGroupId: null, lastFixed: null },
          r[ROW.contentHash] as string,
        );
        if (decision === 'insert') {
          s.insert.run(
            ctx.connectorId,
            r[ROW.hostId],
            r[ROW.machineId],
            r[ROW.findingKey],
            r[ROW.cveId],
            r[ROW.softwareVendor],
            r[ROW.softwareName],
            r[ROW.softwareVersion],
            r[ROW.name],
            r[ROW.sourceSeverity],
            r[ROW.severity],
            r[ROW.score],
            'open',
            0,
            r[ROW.firstSeen] ?? snapshotTime,
            snapshotTime,
            null,
            snapshotTime,
            r[ROW.securityUpdateAvailable],
            r[ROW.recommendedSecurityUpdate],
            r[ROW.recommendedSecurityUpdateId],
            r[ROW.recommendedSecurityUpdateUrl],
            r[ROW.diskPaths],
            r[ROW.registryPaths],
            r[ROW.exploitabilityLevel],
            r[ROW.recommendationReference],
            null,
            null,
            r[ROW.rbacGroupId],
            r[ROW.rbacGroupName],
            r[ROW.cvssScore],
            r[ROW.contentHash],
            ctx.seenToken,
            r[ROW.extra],
            r[ROW.customAttributes],
            ctx.at,
          );
          result.inserted++;
        } else if (decision === 'touch') {
          s.touch.run(ctx.seenToken, snapshotTime, snapshotTime, stored!.id);
          result.unchanged++;
        } else {
          const reopened = decision === 'reopen';
          s.update.run(
            ...CONTENT.map(([, field]) => r[field]),
            r[ROW.hostId],
            stored!.reopenedCount + (reopened ? 1 : 0),
            snapshotTime,
            snapshotTime,
            ctx.seenToken,
            ctx.at,
            stored!.id,
          );
          result.updated++;
          if (reopened) result.reopened++;
        }
      }
      s.checkpoint.run(ctx.connectorId, checkpoint.stream, JSON.stringify(checkpoint.value), ctx.at);
    })();
    return result;
  }
}
