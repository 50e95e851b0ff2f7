/**
 * CVSS v3.1 base and temporal scores from a vector string (FIRST CVSS v3.1 specification, section 7).
 * The simulator computes the score from the vector so that `cvssV3` and `cvssVector` agree, as a
 * connector that parses vectors (docs/data-model.md#vulnerability-definition) will check.
 */

export const CVSS_BASE_METRICS = ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'] as const;
export type CvssBaseMetric = (typeof CVSS_BASE_METRICS)[number];

const WEIGHTS: Record<string, Record<string, number>> = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  C: { H: 0.56, L: 0.22, N: 0 },
  I: { H: 0.56, L: 0.22, N: 0 },
  A: { H: 0.56, L: 0.22, N: 0 },
  E: { X: 1, H: 1, F: 0.97, P: 0.94, U: 0.91 },
  RL: { X: 1, U: 1, W: 0.97, T: 0.96, O: 0.95 },
  RC: { X: 1, C: 1, R: 0.96, U: 0.92 },
};

/** Privileges Required weighs more when the scope changes. */
const PR_WEIGHTS: Record<string, { U: number; C: number }> = {
  N: { U: 0.85, C: 0.85 },
  L: { U: 0.62, C: 0.68 },
  H: { U: 0.27, C: 0.5 },
};

export interface CvssVector {
  version: '3.0' | '3.1';
  metrics: Record<string, string>;
}

/** Parses "CVSS:3.1/AV:N/..."; undefined when a base metric is missing or a value is unknown. */
export function parseCvssVector(vector: string): CvssVector | undefined {
  const parts = vector.split('/');
  const head = parts.shift();
  if (head !== 'CVSS:3.1' && head !== 'CVSS:3.0') return undefined;
  const metrics: Record<string, string> = {};
  for (const part of parts) {
    const [key, value] = part.split(':');
    if (key === undefined || value === undefined) return undefined;
    metrics[key] = value;
  }
  for (const m of CVSS_BASE_METRICS) if (metrics[m] === undefined) return undefined;
  if (metrics['S'] !== 'U' && metrics['S'] !== 'C') return undefined;
  return { version: head === 'CVSS:3.0' ? '3.0' : '3.1', metrics };
}

/** The spec's Roundup: smallest number with one decimal >= x, immune to float noise (Appendix A). */
export function roundUp(x: number): number {
  const intInput = Math.round(x * 100000);
  if (intInput % 10000 === 0) return intInput / 100000;
  return (Math.floor(intInput / 10000) + 1) / 10;
}

function weight(metric: string, value: string | undefined): number {
  const w = value === undefined ? undefined : WEIGHTS[metric]?.[value];
  if (w === undefined) throw new RangeError(`unknown CVSS value ${metric}:${value}`);
  return w;
}

export function cvssBaseScore(vector: CvssVector): number {
  const m = vector.metrics;
  const changed = m['S'] === 'C';
  const pr = PR_WEIGHTS[m['PR'] ?? ''];
  if (pr === undefined) throw new RangeError(`unknown CVSS value PR:${m['PR']}`);
  const iss = 1 - (1 - weight('C', m['C'])) * (1 - weight('I', m['I'])) * (1 - weight('A', m['A']));
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const exploitability =
    8.22 * weight('AV', m['AV']) * weight('AC', m['AC']) * (changed ? pr.C : pr.U) * weight('UI', m['UI']);
  if (impact <= 0) return 0;
  return changed
    ? roundUp(Math.min(1.08 * (impact + exploitability), 10))
    : roundUp(Math.min(impact + exploitability, 10));
}

/** Temporal score; equals the base score when no temporal metric is present. */
export function cvssTemporalScore(vector: CvssVector): number {
  const m = vector.metrics;
  return roundUp(
    cvssBaseScore(vector) *
      weight('E', m['E'] ?? 'X') *
      weight('RL', m['RL'] ?? 'X') *
      weight('RC', m['RC'] ?? 'X'),
  );
}

/** Score of a vector string, or undefined when it does not parse. */
export function scoreOfVector(vector: string): number | undefined {
  const parsed = parseCvssVector(vector);
  return parsed === undefined ? undefined : cvssBaseScore(parsed);
}

export type Severity = 'Low' | 'Medium' | 'High' | 'Critical';

/** CVSS v3 qualitative rating (spec section 5); MDE has no "None" severity, so 0 maps to Low. */
export function severityOfScore(score: number): Severity {
  if (score >= 9) return 'Critical';
  if (score >= 7) return 'High';
  if (score >= 4) return 'Medium';
  return 'Low';
}
