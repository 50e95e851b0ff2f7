import type { Connector } from '../store/connectors/connector-repository.js';
import { TransformMapRepository } from '../store/connectors/transform-map-repository.js';
import type { Store } from '../store/db/store.js';
import { inStoreTransaction } from '../store/db/store-transaction.js';
import type { AuditActor } from './audit-actor.js';
import { recordAudit } from './audit-log.js';

/** The audit actions of transform map changes (docs/audit-log.md#actions). */
export type MappingChange = `mapping.${'clone' | 'add' | 'remove' | 'reset'}`;

/** The transform map of a connector as the audit log shows it: which map, and its custom fields. */
async function mappingState(maps: TransformMapRepository, connectorId: number) {
  const map = await maps.get(connectorId);
  return map ? { map: map.name, customFields: map.fields } : { map: 'default', customFields: [] };
}

/**
 * Changes a connector's transform map (`work` gets the repository to change it with) and records
 * the change with the map before and after: both commit together, or neither does. The CLI's
 * `mdec mapping` and the API's mapping routes change maps only through here.
 */
export function changeMapping<T>(
  store: Store,
  actor: AuditActor,
  connector: Pick<Connector, 'id' | 'name'>,
  action: MappingChange,
  work: (maps: TransformMapRepository) => Promise<T>,
): Promise<T> {
  return inStoreTransaction(store, async (tx) => {
    const maps = new TransformMapRepository(tx);
    const before = await mappingState(maps, connector.id);
    const result = await work(maps);
    await recordAudit(tx, actor, {
      action,
      target: { kind: 'connector', name: connector.name },
      connector: connector.name,
      before,
      after: await mappingState(maps, connector.id),
      outcome: 'succeeded',
    });
    return result;
  });
}
