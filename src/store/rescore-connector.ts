import { compileScorer } from '../normalize/scoring/compile-scorer.js';
import { type RescoreResult, rescoreFindings } from './finding-rescorer.js';
import type { Store } from './open-store.js';
import { loadScoringContext } from './scoring-inputs.js';
import { ScoringMapRepository } from './scoring-map-repository.js';

export interface RescoreConnectorOptions {
  at: string;
  onProgress?: (examined: number, total: number) => void;
  signal?: AbortSignal;
}

/**
 * Rescores every stored finding of a connector with its scoring map in force and the stored
 * definitions and device values: what `mdec scoring set` and `mdec scoring rescore` run.
 */
export async function rescoreConnector(
  store: Store,
  connectorId: number,
  options: RescoreConnectorOptions,
): Promise<RescoreResult> {
  const { map } = await new ScoringMapRepository(store).get(connectorId);
  const scorer = compileScorer(map, await loadScoringContext(store, connectorId));
  return rescoreFindings(store, {
    connectorId,
    scorer,
    at: options.at,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
