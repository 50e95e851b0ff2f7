import { type ConnectorOptionsInput, parseConnectorOptions } from '../../src/normalize/connector-options.js';
import { ConnectorRepository } from '../../src/store/connectors/connector-repository.js';
import type { Store } from '../../src/store/db/store.js';
import { TEST_SECRETS } from './sync-harness.js';

/**
 * A connector for store tests that never sign in: commercial cloud, a dummy secret, `network` its
 * name unless given. Tests that sync use `addConnector` (sync-harness.ts) against the simulator.
 */
export async function addOfflineConnector(
  store: Store,
  name: string,
  options: ConnectorOptionsInput = {},
  network = name,
  clientSecret = 'x',
): Promise<number> {
  const c = await new ConnectorRepository(store, TEST_SECRETS).create({
    name,
    network,
    tenantId: '11111111-2222-4333-8444-555555555555',
    clientId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
    cloud: 'commercial',
    apiUrl: 'https://api.security.microsoft.com',
    loginUrl: 'https://login.microsoftonline.com',
    scope: 'https://api.securitycenter.microsoft.com/.default',
    active: true,
    schedule: null,
    options: parseConnectorOptions(options),
    credentials: { clientSecret },
  });
  return c.id;
}
