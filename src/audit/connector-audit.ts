import type { Connector } from '../store/connectors/connector-repository.js';
import type { Store } from '../store/db/store.js';
import type { AuditActor } from './audit-actor.js';
import { recordAudit } from './audit-log.js';

/**
 * A connector's configuration as the audit log shows it: every setting a person chose, never a
 * secret. The credential appears only as its kind, and as `replaced` when a change set a new one.
 */
export function connectorConfiguration(c: Connector, credentialReplaced = false): Record<string, unknown> {
  const kind = c.hasCertificate ? 'certificate' : c.hasSecret ? 'client secret' : 'none';
  return {
    name: c.name,
    network: c.network,
    tenantId: c.tenantId,
    clientId: c.clientId,
    credential: credentialReplaced ? `${kind} (replaced)` : kind,
    cloud: c.cloud,
    apiUrl: c.apiUrl,
    loginUrl: c.loginUrl,
    scope: c.scope,
    active: c.active,
    schedule: c.schedule,
    options: c.options,
  };
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Only what changed, on each side; options are compared one by one. */
export function configurationChange(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): { before: Record<string, unknown>; after: Record<string, unknown> } {
  const was: Record<string, unknown> = {};
  const now: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const [b, a] = [before[key], after[key]];
    if (same(b, a)) continue;
    if (key === 'options' && b && a && typeof b === 'object' && typeof a === 'object') {
      const inner = configurationChange(b as Record<string, unknown>, a as Record<string, unknown>);
      was.options = inner.before;
      now.options = inner.after;
    } else {
      was[key] = b ?? null;
      now[key] = a ?? null;
    }
  }
  return { before: was, after: now };
}

/** Records a new connector (`connector.add`). */
export function auditConnectorAdded(store: Store, actor: AuditActor, created: Connector): Promise<number> {
  return recordAudit(store, actor, {
    action: 'connector.add',
    target: { kind: 'connector', name: created.name },
    connector: created.name,
    after: connectorConfiguration(created),
    outcome: 'succeeded',
  });
}

/**
 * Records a connector change: `connector.activate` or `connector.deactivate` when the change only
 * switched it on or off, `connector.edit` otherwise, with what changed before and after.
 */
export function auditConnectorEdited(
  store: Store,
  actor: AuditActor,
  before: Connector,
  after: Connector,
  credentialReplaced: boolean,
): Promise<number> {
  const change = configurationChange(
    connectorConfiguration(before),
    connectorConfiguration(after, credentialReplaced),
  );
  const keys = Object.keys(change.after);
  const action =
    keys.length === 1 && keys[0] === 'active'
      ? after.active
        ? 'connector.activate'
        : 'connector.deactivate'
      : 'connector.edit';
  return recordAudit(store, actor, {
    action,
    target: { kind: 'connector', name: after.name },
    connector: after.name,
    before: change.before,
    after: change.after,
    outcome: 'succeeded',
    ...(keys.length === 0 ? { detail: 'nothing changed' } : {}),
  });
}

/** Records a removed connector (`connector.remove`) with its last configuration. */
export function auditConnectorRemoved(
  store: Store,
  actor: AuditActor,
  removed: Connector,
  purgeHosts: boolean,
): Promise<number> {
  return recordAudit(store, actor, {
    action: 'connector.remove',
    target: { kind: 'connector', name: removed.name },
    connector: removed.name,
    before: connectorConfiguration(removed),
    outcome: 'succeeded',
    detail: purgeHosts ? 'hosts only it reported were deleted' : 'its hosts stay, marked retained',
  });
}
