import { computeScore, exploitLevelOfText } from './scoring/scoring-formula.js';
import { DEFAULT_SCORING_MAP } from './scoring/scoring-map.js';

export interface DefaultScore {
  severity: number;
  score: number;
}

/**
 * The severity (1 to 5) and score (0 to 100) a finding gets from its own row alone: the scoring
 * formula (src/normalize/scoring, README "Scoring") with the default map and no definition or device
 * known yet. The sync engine replaces it with the connector's compiled scorer before writing.
 */
export function defaultScore(
  sourceSeverity: string | null | undefined,
  cvssScore: number | null | undefined,
  exploitabilityLevel?: string | null,
): DefaultScore {
  return computeScore(
    {
      sourceSeverity,
      cvss: cvssScore,
      epss: null,
      exploitLevel: exploitLevelOfText(exploitabilityLevel),
      deviceValue: null,
    },
    DEFAULT_SCORING_MAP,
  );
}
