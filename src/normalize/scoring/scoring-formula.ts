import { matchRow, type ScoringMap } from './scoring-map.js';

/**
 * Exploit maturity on one scale: 0 no known exploit, 1 public, 2 verified, 3 in an exploit kit
 * (docs/mde-api.md#vulnerability-rows `exploitabilityLevel`, #cve-catalog `publicExploit` /
 * `exploitVerified` / `exploitInKit`).
 */
export type ExploitLevel = 0 | 1 | 2 | 3;

const LEVEL_BY_TEXT: Record<string, ExploitLevel> = {
  noexploit: 0,
  exploitispublic: 1,
  exploitisverified: 2,
  exploitisinkit: 3,
};

/** The level of a finding's `exploitabilityLevel` text; unknown or missing text counts as none. */
export function exploitLevelOfText(text: string | null | undefined): ExploitLevel {
  return LEVEL_BY_TEXT[(text ?? '').trim().toLowerCase()] ?? 0;
}

/** The level a vulnerability definition's exploit flags say: the most mature flag that is set. */
export function exploitLevelOfFlags(
  publicExploit: boolean | number | null | undefined,
  exploitVerified: boolean | number | null | undefined,
  exploitInKit: boolean | number | null | undefined,
): ExploitLevel {
  if (exploitInKit) return 3;
  if (exploitVerified) return 2;
  if (publicExploit) return 1;
  return 0;
}

/** What the formula reads for one finding; everything may be missing. */
export interface ScoringInputs {
  sourceSeverity: string | null | undefined;
  /** CVSS base score 0-10: the finding's, else its vulnerability definition's `cvssV3`. */
  cvss: number | null | undefined;
  /** Probability of exploitation in the next 30 days, 0-1 (vulnerability_definitions.epss). */
  epss: number | null | undefined;
  exploitLevel: ExploitLevel;
  /** MDE `deviceValue`: `Low`, `Normal`, `High` (docs/mde-api.md#machines). */
  deviceValue: string | null | undefined;
}

export interface Score {
  severity: number;
  score: number;
}

/** How much of the remaining headroom each exploit level takes (docs/data-model.md#scoring-map). */
export const EXPLOIT_UPLIFT = [0, 0.15, 0.3, 0.45] as const;
/** EPSS takes up to half of the remaining headroom, in proportion to its probability. */
export const EPSS_WEIGHT = 0.5;
/** A Low-value device scales the score down; a High-value device takes a quarter of what is left. */
export const LOW_VALUE_FACTOR = 0.8;
export const HIGH_VALUE_UPLIFT = 0.25;

function validCvss(v: number | null | undefined): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 10 ? v : undefined;
}

function validEpss(v: number | null | undefined): number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 1 ? v : 0;
}

/**
 * The default scoring formula, documented in docs/data-model.md#scoring-map:
 *
 * 1. The map gives severity S and map score Q for the source severity (or the map's defaults).
 * 2. Base B = (Q + 10·CVSS) / 2 when a CVSS score is known, else B = Q.
 * 3. Threat u = 1 − (1 − X[level]) · (1 − 0.5·EPSS), with X = 0, 0.15, 0.30, 0.45.
 * 4. T = B + (100 − B) · u.
 * 5. Device: Low → 0.8·T; High → T + (100 − T) · 0.25; Normal or unknown → T.
 * 6. score = round(result); severity = S.
 *
 * Each step stays within 0-100 and never decreases when CVSS, EPSS, exploit level, device value or
 * the map's score increase. Unusable numbers (NaN, out of range) count as missing.
 */
export function computeScore(inputs: ScoringInputs, map: ScoringMap): Score {
  const row = matchRow(map, inputs.sourceSeverity);
  return formula(
    row ? row.severity : map.defaultSeverity,
    row ? row.score : map.defaultScore,
    inputs.cvss,
    inputs.epss,
    inputs.exploitLevel,
    deviceValueKind(inputs.deviceValue),
  );
}

/** 0 Low, 1 Normal or unknown, 2 High. */
export type DeviceValueKind = 0 | 1 | 2;

export function deviceValueKind(text: string | null | undefined): DeviceValueKind {
  const t = (text ?? '').trim().toLowerCase();
  return t === 'low' ? 0 : t === 'high' ? 2 : 1;
}

/** Steps 2-6 of {@link computeScore} once the map has spoken; the hot path calls this directly. */
export function formula(
  severity: number,
  mapScore: number,
  cvss: number | null | undefined,
  epss: number | null | undefined,
  exploitLevel: ExploitLevel,
  device: DeviceValueKind,
): Score {
  const c = validCvss(cvss);
  const base = c === undefined ? mapScore : (mapScore + 10 * c) / 2;
  const u = 1 - (1 - EXPLOIT_UPLIFT[exploitLevel]) * (1 - EPSS_WEIGHT * validEpss(epss));
  const threat = base + (100 - base) * u;
  const valued =
    device === 0
      ? threat * LOW_VALUE_FACTOR
      : device === 2
        ? threat + (100 - threat) * HIGH_VALUE_UPLIFT
        : threat;
  // Rounding to a whole number keeps stored scores stable under tiny EPSS drifts.
  return { severity, score: Math.min(100, Math.max(0, Math.round(valued))) };
}
