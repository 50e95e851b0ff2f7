import { compileScorer } from '../../normalize/scoring/compile-scorer.js';
import { ScoringMapRepository } from '../connectors/scoring-map-repository.js';
import type { Store } from '../db/store.js';
import { type RescoreResult, rescoreFindings } from './finding-rescorer.js';
import { computeHostRisk } from './host-risk-step.js';
import { loadScoringContext } from './scoring-inputs.js';

export interface RescoreConnectorOptions {
  at: string;
  onProgress?: (examined: number, total: number) => void;
  signal?: AbortSignal;
}

/** What a rescore changed: findings, and the hosts whose risk followed them. */
export interface RescoreConnectorResult extends RescoreResult {
  hostsChanged: number;
}

/**
 * Rescores every stored finding of a connector with its scoring map in force and the stored
 * definitions and device values: what `mdec scoring set|reset|rescore` run. Host risk follows:
 * the hosts of the rewritten findings are recomputed, so no view shows a risk the
 * new scores no longer support.
 */
export async function rescoreConnector(
  store: Store,
  connectorId: number,
  options: RescoreConnectorOptions,
): Promise<RescoreConnectorResult> {
  const { map } = await new ScoringMapRepository(store).get(connectorId);
  const scorer = compileScorer(map, await loadScoringContext(store, connectorId));
  const result = await rescoreFindings(store, {
    connectorId,
    scorer,
    at: options.at,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  // Rewritten findings carry `at` as updated_at: exactly their hosts are recomputed.
  const hosts = await computeHostRisk(store, connectorId, options.at, undefined, options.at);
  return { ...result, hostsChanged: hosts.changed };
}
