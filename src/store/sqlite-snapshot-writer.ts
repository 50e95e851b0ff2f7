import type BetterSqlite3 from 'better-sqlite3';
import { customAttributesText } from '../normalize/custom-fields.js';
import type { NormalizedFinding } from '../normalize/model.js';
import { decideForSnapshot, type FindingStatus } from '../sync/finding-lifecycle.js';
import { contentColumns } from './finding-columns.js';
import type { Checkpoint, FindingBatchContext, SnapshotBatchResult } from './finding-writer.js';

/** Column order of the insert; values come from {@link insertValues}. */
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

/** camelCase → snake_case, for the column names of {@link contentColumns}. */
const snake = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The content columns, in the order `Object.values(contentColumns(f))` gives their values. */
const CONTENT_COLUMNS = Object.keys(
  contentColumns({
    diskPaths: [],
    registryPaths: [],
    extra: {},
    securityUpdateAvailable: null,
  } as unknown as NormalizedFinding),
).map(snake);

interface Statements {
  lookup: BetterSqlite3.Statement;
  insert: BetterSqlite3.Statement;
  update: BetterSqlite3.Statement;
  touch: BetterSqlite3.Statement;
  checkpoint: BetterSqlite3.Statement;
}

/**
 * The full-snapshot write path on SQLite with prepared statements and one synchronous transaction
 * per batch: the same decisions as the portable Kysely path, without building SQL per batch. At
 * millions of rows that difference is most of the store's time (design.md 7: lean prepared
 * statements and large transactions).
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
        `UPDATE findings SET ${CONTENT_COLUMNS.map((c) => `${c} = ?`).join(', ')}, host_id = ?, status = 'open', reopened_count = ?, last_found = ?, state_time = ?, seen_run_id = ?, updated_at = ? WHERE id = ?`,
      ),
      touch: db.prepare('UPDATE findings SET seen_run_id = ?, last_found = ?, state_time = ? WHERE id = ?'),
      checkpoint: db.prepare(
        'INSERT INTO sync_checkpoints (connector_id, stream, value, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (connector_id, stream) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
      ),
    };
  }

  write(
    ctx: FindingBatchContext,
    batch: NormalizedFinding[],
    snapshotTime: string,
    checkpoint: Checkpoint,
  ): SnapshotBatchResult {
    const s = this.statements;
    const result: SnapshotBatchResult = { inserted: 0, updated: 0, unchanged: 0, reopened: 0 };
    this.db.transaction(() => {
      for (const f of batch) {
        const stored = s.lookup.get(ctx.connectorId, f.findingKey) as
          | { id: number; status: FindingStatus; contentHash: string; reopenedCount: number }
          | undefined;
        const decision = decideForSnapshot(
          stored && { ...stored, stateTime: '', rbacGroupId: null, lastFixed: null },
          f.contentHash,
        );
        const hostId = ctx.hostIdOf(f.machineId);
        if (decision === 'insert') {
          s.insert.run(
            ctx.connectorId,
            hostId,
            f.machineId,
            f.findingKey,
            f.cveId,
            f.softwareVendor,
            f.softwareName,
            f.softwareVersion,
            f.name,
            f.sourceSeverity,
            f.severity,
            f.score,
            'open',
            0,
            f.firstSeen ?? snapshotTime,
            snapshotTime,
            null,
            snapshotTime,
            f.securityUpdateAvailable === null ? null : f.securityUpdateAvailable ? 1 : 0,
            f.recommendedSecurityUpdate,
            f.recommendedSecurityUpdateId,
            f.recommendedSecurityUpdateUrl,
            JSON.stringify(f.diskPaths),
            JSON.stringify(f.registryPaths),
            f.exploitabilityLevel,
            f.recommendationReference,
            null,
            null,
            f.rbacGroupId,
            f.rbacGroupName,
            f.cvssScore,
            f.contentHash,
            ctx.seenToken,
            JSON.stringify(f.extra),
            customAttributesText(f.customAttributes),
            ctx.at,
          );
          result.inserted++;
        } else if (decision === 'touch') {
          s.touch.run(ctx.seenToken, snapshotTime, snapshotTime, stored!.id);
          result.unchanged++;
        } else {
          const reopened = decision === 'reopen';
          s.update.run(
            ...Object.values(contentColumns(f)),
            hostId,
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
