import {
  type DeviceValueKind,
  deviceValueKind,
  type ExploitLevel,
  exploitLevelOfText,
  formula,
  type Score,
} from './scoring-formula.js';
import { matchKey, type ScoringMap } from './scoring-map.js';

/** What a vulnerability definition contributes to its findings' scores (docs/mde-api.md#cve-catalog). */
export interface CveFactors {
  cvssV3: number | null;
  severity: string | null;
  epss: number | null;
  exploitLevel: ExploitLevel;
}

/** The finding fields the scorer reads (stored columns or a {@link NormalizedFinding}). */
export interface ScorableFinding {
  cveId: string;
  machineId: string;
  sourceSeverity: string | null;
  cvssScore: number | null;
  exploitabilityLevel: string | null;
}

/** Per-connector lookups: CVE id → factors, machine id → `deviceValue`. */
export interface ScoringContext {
  cves: ReadonlyMap<string, CveFactors>;
  deviceValues: ReadonlyMap<string, string | null>;
}

export type Scorer = (finding: ScorableFinding) => Score;

/**
 * Precompiles the map and lookups into one function for the hot paths (sync writes, rescoring):
 * per finding two `Map` lookups and one cached map match, no allocation besides the result.
 * Equal to {@link computeScore} with the finding's CVSS falling back to the definition's, the
 * source severity falling back to the definition's severity, and the higher of the two exploit levels.
 */
export function compileScorer(map: ScoringMap, context: ScoringContext): Scorer {
  const rows = new Map<string, { severity: number; score: number }>();
  // Reversed so the first row of the order wins, as in matchRow (validation forbids duplicates anyway).
  for (const r of [...map.rows].reverse()) rows.set(matchKey(r.match), r);
  const fallback = { severity: map.defaultSeverity, score: map.defaultScore };
  // Source texts repeat (four values across millions of rows): remember each raw text's row.
  const byRaw = new Map<string, { severity: number; score: number }>();
  const rowOf = (text: string | null) => {
    if (text === null) return fallback;
    let hit = byRaw.get(text);
    if (!hit) {
      hit = rows.get(matchKey(text)) ?? fallback;
      if (byRaw.size < 10_000) byRaw.set(text, hit);
    }
    return hit;
  };
  const levels = new Map<string, ExploitLevel>();
  const levelOf = (text: string | null): ExploitLevel => {
    if (text === null) return 0;
    let level = levels.get(text);
    if (level === undefined) {
      level = exploitLevelOfText(text);
      if (levels.size < 1000) levels.set(text, level);
    }
    return level;
  };
  const devices = new Map<string, DeviceValueKind>();
  for (const [machine, value] of context.deviceValues) devices.set(machine, deviceValueKind(value));
  const { cves } = context;
  return (f) => {
    const cve = cves.get(f.cveId);
    const text =
      f.sourceSeverity !== null && f.sourceSeverity !== '' ? f.sourceSeverity : (cve?.severity ?? null);
    const row = rowOf(text);
    const own = levelOf(f.exploitabilityLevel);
    const level = cve && cve.exploitLevel > own ? cve.exploitLevel : own;
    return formula(
      row.severity,
      row.score,
      f.cvssScore ?? cve?.cvssV3 ?? null,
      cve?.epss ?? null,
      level,
      devices.get(f.machineId) ?? 1,
    );
  };
}
