import type { ScoringMap } from '../normalize/scoring/scoring-map.js';
import type { Connector } from '../store/connectors/connector-repository.js';
import type { StoredScoringMap } from '../store/connectors/scoring-map-repository.js';
import type { Store } from '../store/db/store.js';
import type { AuditActor } from './audit-actor.js';
import { recordAudit } from './audit-log.js';

/** Records a scoring map change (`scoring.set` or `scoring.reset`) with the map before and after (docs/audit-log.md#actions). */
export function auditScoring(
  store: Store,
  actor: AuditActor,
  connector: Connector,
  action: 'scoring.set' | 'scoring.reset',
  before: StoredScoringMap,
  after: ScoringMap,
  now?: () => Date,
): Promise<number> {
  return recordAudit(
    store,
    actor,
    {
      action,
      target: { kind: 'connector', name: connector.name },
      connector: connector.name,
      before: { custom: before.custom, ...before.map },
      after: { custom: action === 'scoring.set', ...after },
      outcome: 'succeeded',
    },
    now,
  );
}
