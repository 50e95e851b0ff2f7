import { AuditLogRepository } from '../store/audit/audit-log-repository.js';
import type { Store } from '../store/db/store.js';
import type { AuditActor } from './audit-actor.js';

/** What an entry is about: a connector, user or token (by name), a host (by host id or machine id), a run (by id). */
export interface AuditTarget {
  kind: 'connector' | 'host' | 'machine-action' | 'user' | 'token' | 'run';
  name: string;
}

/** One change or action to record (docs/audit-log.md#what-an-entry-holds). */
export interface AuditRecord {
  /** What was done, e.g. `connector.edit` or `machine-action.isolate` (docs/audit-log.md#actions). */
  action: string;
  target: AuditTarget;
  /** The connector concerned, by name, when there is one. */
  connector?: string | null;
  /** Configuration before and after a change; secrets are removed here whatever the caller passes. */
  before?: unknown;
  after?: unknown;
  /** `succeeded`, `failed`, `refused`, `accepted`, `already-pending`, or a final action status. */
  outcome: string;
  /** Why it failed or was refused, or a note; never a secret. */
  detail?: string | null;
}

/** What every secret-looking key is replaced with. */
export const REDACTED = '[redacted]';

/** Key names that hold secrets (compared without case, dashes or underscores). */
const SECRET_KEY = /(secret|password|passphrase|token|apikey|credentials)$|privatekey|certificatepem/;

/**
 * A deep copy of `value` with every secret-looking key's value replaced by {@link REDACTED}. Callers
 * already pass configuration without secrets; this is the second line, so that a field added later
 * cannot leak into the log by accident.
 */
export function withoutSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    const bare = key.replace(/[-_\s]/g, '').toLowerCase();
    out[key] =
      SECRET_KEY.test(bare) && inner !== null && inner !== undefined ? REDACTED : withoutSecrets(inner);
  }
  return out;
}

function json(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(withoutSecrets(value));
}

/**
 * Appends one entry to the audit log: when (now), who (`actor`), what, the target, before/after
 * without secrets, and the outcome. The one way anything writes the log, for the CLI and the REST API.
 */
export async function recordAudit(
  store: Store,
  actor: AuditActor,
  record: AuditRecord,
  now: () => Date = () => new Date(),
): Promise<number> {
  return new AuditLogRepository(store).append({
    at: now().toISOString(),
    actor: actor.name,
    actorKind: actor.kind,
    action: record.action,
    targetKind: record.target.kind,
    target: record.target.name,
    connectorName: record.connector ?? null,
    before: json(record.before),
    after: json(record.after),
    outcome: record.outcome,
    detail: record.detail ?? null,
  });
}
