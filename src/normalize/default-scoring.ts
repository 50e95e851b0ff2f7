import { compileScorer } from './scoring/compile-scorer.js';
import { DEFAULT_SCORING_MAP } from './scoring/scoring-map.js';

export interface DefaultScore {
  severity: number;
  score: number;
}

/** The formula with the default map and nothing else known, compiled once: this runs per row. */
const scoreAlone = compileScorer(DEFAULT_SCORING_MAP, { cves: new Map(), deviceValues: new Map() });

/**
 * The severity (1 to 5) and score (0 to 100) a finding gets from its own row alone: the scoring
 * formula (src/normalize/scoring, docs/data-model.md#scoring-map) with the default map and no definition or
 * device known yet. The sync engine replaces it with the connector's compiled scorer before writing.
 */
export function defaultScore(
  sourceSeverity: string | null | undefined,
  cvssScore: number | null | undefined,
  exploitabilityLevel?: string | null,
): DefaultScore {
  return scoreAlone({
    cveId: '',
    machineId: '',
    sourceSeverity: sourceSeverity ?? null,
    cvssScore: cvssScore ?? null,
    exploitabilityLevel: exploitabilityLevel ?? null,
  });
}
