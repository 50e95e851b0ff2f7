import { regionOfApiUrl } from '../mde/cloud-endpoints.js';
import type { Connector } from '../store/connectors/connector-repository.js';
import type { ConnectorStatus } from './connector-status.js';

/**
 * A connector for people and scripts (the CLI and the REST API): never the secret, only whether one
 * is set. With its status (connector-status.ts) the state is the one its runs and schedule give,
 * with the next run time.
 */
export function describeConnector(c: Connector, status?: ConnectorStatus) {
  return {
    name: c.name,
    description: c.options.description ?? null,
    kind: c.kind,
    network: c.network,
    tenantId: c.tenantId,
    clientId: c.clientId,
    credential: c.hasCertificate ? 'certificate' : c.hasSecret ? 'client secret (stored encrypted)' : 'none',
    cloud: c.cloud,
    region: regionOfApiUrl(c.apiUrl) ?? null,
    apiUrl: c.apiUrl,
    loginUrl: c.loginUrl,
    scope: c.scope,
    active: c.active,
    schedule: c.schedule,
    scheduleStart: c.scheduleStart,
    scheduleEnd: c.scheduleEnd,
    state: status?.state ?? c.state,
    nextRunAt: status?.nextRunAt ?? null,
    lastRunId: c.lastRunId,
    lastRun: status?.lastRun ?? null,
    suspended: c.suspended !== null,
    ...(c.suspended ? { suspendedReason: c.suspended.reason } : {}),
    options: c.options,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

/** A connector as people and scripts see it. */
export type ConnectorView = ReturnType<typeof describeConnector>;
