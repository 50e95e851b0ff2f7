/**
 * Host risk (issue 4, item 3; seed 002: "MS Defender vulnerabilities will be factored into an
 * endpoint's overall risk level"): one score 0..100 and a level, from the host's open findings, its
 * most severe open Defender alert and Defender's own `exposureLevel` and `riskScore` (mde-api.md 3.2).
 *
 * Each signal becomes a component 0..100; the score is the strongest component plus a tenth of the
 * others, capped at 100:
 *
 *     score = min(100, max(c) + 0.1 * (sum(c) - max(c)))   = min(100, 0.9 * max(c) + 0.1 * sum(c))
 *
 * Both max and sum only grow when a component grows, so the score is monotone in every input, and
 * it is bounded by 0 and 100. The README's "Host risk" section shows the tables below.
 */

/** Share of the weaker components added to the strongest one. */
export const SECONDARY_WEIGHT = 0.1;

/** Alert `severity` (mde-api.md 7). UnSpecified still means Defender raised something. */
export const ALERT_COMPONENT: Record<string, number> = {
  high: 100,
  medium: 75,
  low: 45,
  informational: 20,
  unspecified: 20,
};

/** Machine `riskScore` (mde-api.md 3.2): Defender's own view, driven by its alerts. */
export const DEFENDER_RISK_COMPONENT: Record<string, number> = {
  high: 90,
  medium: 65,
  low: 40,
  informational: 15,
  none: 0,
};

/** Machine `exposureLevel` (mde-api.md 3.2): Defender's view of the device's weaknesses. */
export const EXPOSURE_COMPONENT: Record<string, number> = {
  high: 80,
  medium: 55,
  low: 30,
  none: 0,
};

/** Open vulnerabilities at which the breadth component reaches half its range. */
export const BREADTH_HALF = 25;

/** Levels by score, checked from the top (same bands as the finding severities 1..5). */
export const RISK_LEVELS = [
  { level: 'Critical', min: 90 },
  { level: 'High', min: 70 },
  { level: 'Medium', min: 40 },
  { level: 'Low', min: 0.05 },
  { level: 'None', min: 0 },
] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number]['level'];

export interface HostRiskInput {
  /** Highest `score` (0..100) among the host's open findings; null when it has none. */
  worstFindingScore: number | null;
  /** Distinct CVEs among its open findings. */
  openVulnerabilities: number;
  /** Severity of its most severe open alert (`High`, `Medium`, ...); null when none is open. */
  worstAlertSeverity: string | null;
  /** Defender's `riskScore` and `exposureLevel` of the machine (the worst over its sources). */
  defenderRiskScore: string | null;
  exposureLevel: string | null;
}

export interface HostRiskComponents {
  vulnerability: number;
  breadth: number;
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
const clamp = (x: number) => Math.min(100, Math.max(0, Number.isFinite(x) ? x : 0));

/** The components of {@link hostRisk}, each 0..100. */
export function hostRiskComponents(input: HostRiskInput): HostRiskComponents {
  const count = Math.max(0, input.openVulnerabilities);
  return {
    vulnerability: clamp(input.worstFindingScore ?? 0),
    breadth: clamp((100 * count) / (count + BREADTH_HALF)),
    alert: lookup(ALERT_COMPONENT, input.worstAlertSeverity),
    defenderRisk: lookup(DEFENDER_RISK_COMPONENT, input.defenderRiskScore),
    exposure: lookup(EXPOSURE_COMPONENT, input.exposureLevel),
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
  const values = Object.values(components);
  const max = Math.max(...values);
  const sum = values.reduce((a, b) => a + b, 0);
  const score = Math.round(clamp(max + SECONDARY_WEIGHT * (sum - max)) * 10) / 10;
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
