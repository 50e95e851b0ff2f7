import type { Connector } from './connector-repository.js';

/** A connector for people and scripts: never the secret, only whether one is set. */
export function describeConnector(c: Connector) {
  return {
    name: c.name,
    kind: c.kind,
    network: c.network,
    tenantId: c.tenantId,
    clientId: c.clientId,
    credential: c.hasCertificate ? 'certificate' : c.hasSecret ? 'client secret (stored encrypted)' : 'none',
    cloud: c.cloud,
    apiUrl: c.apiUrl,
    loginUrl: c.loginUrl,
    scope: c.scope,
    active: c.active,
    schedule: c.schedule,
    state: c.state,
    lastRunId: c.lastRunId,
    options: c.options,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
  };
}

/** A connector as people and scripts see it. */
export type ConnectorView = ReturnType<typeof describeConnector>;
