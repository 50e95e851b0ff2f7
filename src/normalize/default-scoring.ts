/**
 * The default severity (1 to 5) and score (0 to 100) of a finding until a connector's scoring map says
 * otherwise (seed 004). TVM severities map onto the 1-5 scale; the score follows the CVSS base score
 * when MDE gives one, so two "High" findings still sort by how bad they are.
 */
const SEVERITY_BY_SOURCE: Record<string, number> = {
  critical: 5,
  high: 4,
  medium: 3,
  low: 2,
  informational: 1,
  none: 1,
};

/** Score of each severity when no CVSS score is known: the middle of its CVSS v3 band, times ten. */
const SCORE_BY_SEVERITY = [0, 5, 25, 55, 80, 95] as const;

export interface DefaultScore {
  severity: number;
  score: number;
}

export function defaultScore(
  sourceSeverity: string | null | undefined,
  cvssScore: number | null | undefined,
): DefaultScore {
  const severity = SEVERITY_BY_SOURCE[(sourceSeverity ?? '').trim().toLowerCase()] ?? 1;
  const score =
    typeof cvssScore === 'number' && cvssScore >= 0 && cvssScore <= 10
      ? Math.round(cvssScore * 100) / 10
      : SCORE_BY_SEVERITY[severity]!;
  return { severity, score };
}
