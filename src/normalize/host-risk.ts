/**
 * Host risk: one score 0..100 and a level per host, from the host's own inputs only: its open
 * findings, its most severe open Defender alert, and Defender's `riskScore` and `exposureLevel` of
 * the machine. No other host takes part, so a host's risk never moves because another host changed.
 * docs/host-risk.md explains the formula with a worked example.
 *
 * Each input adds risk points; the score turns the points into 0..100 with diminishing returns:
 *
 *     load   = sum over open findings of (score / 100)^4        (a finding of score 100 weighs 1)
 *     points = 0.6 * ln(1 + load / 16) + alert + defenderRisk + exposure
 *     score  = 100 * (1 - e^(-points))
 *
 * Every term only grows when an input grows (another finding, a higher finding score, a more severe
 * alert, a worse Defender value) and 1 - e^(-x) grows with x, so the score is monotone in every
 * input; it is 0 with no points and stays below 100. Levels are score bands, so they are monotone too.
 *
 * The weights place the levels as a triage list reads: an open High alert alone makes a host
 * Critical, a Medium alert High, a Low alert Medium; Defender rating the machine at high risk makes
 * it Medium; vulnerabilities alone make it Low to Medium, and High only with hundreds of severe
 * findings. Signals together climb: a Medium alert on a machine Defender rates at high risk is
 * Critical.
 */

/** Findings weigh (score / 100) to this power: severe findings count, mild ones barely. */
export const FINDING_WEIGHT_POWER = 4;

/** Vulnerability points are `VULNERABILITY_POINTS * ln(1 + load / LOAD_SCALE)`. */
export const VULNERABILITY_POINTS = 0.6;
export const LOAD_SCALE = 16;

/** Most severe open alert `severity`. UnSpecified still means Defender raised something. */
export const ALERT_POINTS: Record<string, number> = {
  high: 2.4,
  medium: 1.7,
  low: 0.9,
  informational: 0.3,
  unspecified: 0.3,
};

/** Machine `riskScore`: Defender's own view of the device, driven by its alerts. */
export const DEFENDER_RISK_POINTS: Record<string, number> = {
  high: 1,
  medium: 0.5,
  low: 0.2,
  informational: 0.1,
  none: 0,
};

/** Machine `exposureLevel`: Defender's summary of the device's weaknesses (mostly the findings). */
export const EXPOSURE_POINTS: Record<string, number> = {
  high: 0.2,
  medium: 0.1,
  low: 0.05,
  none: 0,
};

/** Levels by score, checked from the top (same bands as the finding severities 1..5). */
export const RISK_LEVELS = [
  { level: 'Critical', min: 90 },
  { level: 'High', min: 70 },
  { level: 'Medium', min: 40 },
  { level: 'Low', min: 0.05 },
  { level: 'None', min: 0 },
] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number]['level'];

/** Levels worst first, for counts and displays. */
export const RISK_LEVEL_ORDER: readonly RiskLevel[] = RISK_LEVELS.map((b) => b.level);

export interface HostRiskInput {
  /** Sum of {@link findingWeight} over the host's open findings (0 when it has none). */
  vulnerabilityLoad: number;
  /** Severity of its most severe open alert (`High`, `Medium`, ...); null when none is open. */
  worstAlertSeverity: string | null;
  /** Defender's `riskScore` and `exposureLevel` of the machine (the worst over its sources). */
  defenderRiskScore: string | null;
  exposureLevel: string | null;
}

/** The points each input adds (see the module comment). */
export interface HostRiskComponents {
  vulnerability: number;
  alert: number;
  defenderRisk: number;
  exposure: number;
}

export interface HostRisk {
  score: number;
  level: RiskLevel;
  components: HostRiskComponents;
}

const lookup = (table: Record<string, number>, value: string | null) =>
  value === null ? 0 : (table[value.trim().toLowerCase()] ?? 0);
const finite = (x: number) => (Number.isFinite(x) ? x : 0);

/** What one open finding adds to the load: `(score / 100)^4`, score clamped to 0..100. */
export function findingWeight(score: number): number {
  return (Math.min(100, Math.max(0, finite(score))) / 100) ** FINDING_WEIGHT_POWER;
}

/** The load of a list of open finding scores (what the host-risk step sums in SQL). */
export function vulnerabilityLoad(scores: Iterable<number>): number {
  let load = 0;
  for (const s of scores) load += findingWeight(s);
  return load;
}

/** The points of {@link hostRisk}, each 0 or more. */
export function hostRiskComponents(input: HostRiskInput): HostRiskComponents {
  // The load comes summed from the database, whose float order differs from JavaScript's: rounded,
  // both give the same score.
  const load = Math.round(Math.max(0, finite(input.vulnerabilityLoad)) * 1e6) / 1e6;
  return {
    vulnerability: VULNERABILITY_POINTS * Math.log1p(load / LOAD_SCALE),
    alert: lookup(ALERT_POINTS, input.worstAlertSeverity),
    defenderRisk: lookup(DEFENDER_RISK_POINTS, input.defenderRiskScore),
    exposure: lookup(EXPOSURE_POINTS, input.exposureLevel),
  };
}

/** The level of a score (see {@link RISK_LEVELS}). */
export function riskLevelOf(score: number): RiskLevel {
  for (const band of RISK_LEVELS) if (score >= band.min) return band.level;
  return 'None';
}

/** The host's risk score (0..100, one decimal) and level. Pure; see the module comment. */
export function hostRisk(input: HostRiskInput): HostRisk {
  const components = hostRiskComponents(input);
  const points = Object.values(components).reduce((a, b) => a + b, 0);
  const score = Math.round(1000 * -Math.expm1(-points)) / 10;
  return { score, level: riskLevelOf(score), components };
}

/** Rank of an alert severity for "most severe" (higher is worse); unknown text ranks lowest. */
export function alertSeverityRank(severity: string | null | undefined): number {
  switch ((severity ?? '').toLowerCase()) {
    case 'high':
      return 4;
    case 'medium':
      return 3;
    case 'low':
      return 2;
    case 'informational':
      return 1;
    default:
      return 0;
  }
}

/** Defender's enum values ordered, to keep the worst of several sources of one host. */
export function worseDefenderValue(
  table: Record<string, number>,
  a: string | null,
  b: string | null,
): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return lookup(table, b) > lookup(table, a) ? b : a;
}
