import type { Insertable } from 'kysely';
import type { AuditLogTable } from '../db/schema.js';
import type { Store } from '../db/store.js';

/** One audit entry as read back (docs/audit-log.md); `before` and `after` parsed from their JSON. */
export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  actorKind: string;
  action: string;
  targetKind: string;
  target: string;
  connector: string | null;
  before: unknown;
  after: unknown;
  outcome: string;
  detail: string | null;
}

/** Rows read per query while streaming the log out. */
const PAGE = 1000;

/**
 * Appends to and reads the audit log. There is deliberately no update and no delete: the table's
 * triggers (migration 0013) refuse them anyway.
 */
export class AuditLogRepository {
  constructor(private readonly store: Store) {}

  async append(row: Insertable<AuditLogTable>): Promise<number> {
    const inserted = await this.store.db
      .insertInto('auditLog')
      .values(row)
      .returning('id')
      .executeTakeFirstOrThrow();
    return Number(inserted.id);
  }

  /** Every entry, oldest first, read a page at a time so an export needs no more memory than a page. */
  async *entries(): AsyncGenerator<AuditEntry> {
    let after = 0;
    for (;;) {
      const rows = await this.store.db
        .selectFrom('auditLog')
        .selectAll()
        .where('id', '>', after)
        .orderBy('id')
        .limit(PAGE)
        .execute();
      for (const row of rows) {
        yield {
          id: Number(row.id),
          at: row.at,
          actor: row.actor,
          actorKind: row.actorKind,
          action: row.action,
          targetKind: row.targetKind,
          target: row.target,
          connector: row.connectorName,
          before: row.before === null ? null : (JSON.parse(row.before) as unknown),
          after: row.after === null ? null : (JSON.parse(row.after) as unknown),
          outcome: row.outcome,
          detail: row.detail,
        };
      }
      if (rows.length < PAGE) return;
      after = Number(rows[rows.length - 1]!.id);
    }
  }
}
