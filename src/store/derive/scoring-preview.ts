import { compileScorer } from '../../normalize/scoring/compile-scorer.js';
import type { ScoringMap } from '../../normalize/scoring/scoring-map.js';
import type { Store } from '../db/store.js';
import { type RescoreResult, rescoreFindings } from './finding-rescorer.js';
import { loadScoringContext } from './scoring-inputs.js';

/**
 * How many of a connector's open findings a scoring map would give another severity or score, were
 * it saved: the rescore `mdec scoring set` runs (same scorer, same stored inputs), writing nothing.
 */
export async function previewScoringMap(
  store: Store,
  connectorId: number,
  map: ScoringMap,
  signal?: AbortSignal,
): Promise<RescoreResult> {
  const scorer = compileScorer(map, await loadScoringContext(store, connectorId));
  return rescoreFindings(store, {
    connectorId,
    scorer,
    at: new Date(0).toISOString(),
    openOnly: true,
    dryRun: true,
    ...(signal ? { signal } : {}),
  });
}
