/**
 * A connector's scoring map (docs/data-model.md#scoring-map): ordered rows that translate a source severity
 * (any text: `Critical`, `High`, a TVM severity, `A`, `3`) into a severity 1 to 5 and a score 0 to 100,
 * plus the default severity and score for values no row matches.
 */
export interface ScoringRow {
  /** The source text; matched case-insensitively after trimming. */
  match: string;
  severity: number;
  score: number;
}

export interface ScoringMap {
  rows: ScoringRow[];
  defaultSeverity: number;
  defaultScore: number;
}

/** The score a severity stands for when a row or the default gives none: the middle of its CVSS band × 10. */
export const SCORE_BY_SEVERITY = [0, 5, 25, 55, 80, 95] as const;

/**
 * The map in force when a connector has none: MDE's TVM severities (docs/mde-api.md#vulnerability-rows,
 * #cve-catalog) on the 1-5 scale.
 */
export const DEFAULT_SCORING_MAP: ScoringMap = {
  rows: [
    { match: 'Critical', severity: 5, score: 95 },
    { match: 'High', severity: 4, score: 80 },
    { match: 'Medium', severity: 3, score: 55 },
    { match: 'Low', severity: 2, score: 25 },
    { match: 'Informational', severity: 1, score: 5 },
  ],
  defaultSeverity: 3,
  defaultScore: 55,
};

/** The form rows take in matching: trimmed and lower-cased (map values are free text). */
export function matchKey(text: string | null | undefined): string {
  return (text ?? '').trim().toLowerCase();
}

/** A map that cannot be used; `issues` name each field and what is allowed. */
export class ScoringMapError extends Error {
  readonly code = 'scoring-map' as const;
  constructor(readonly issues: string[]) {
    super(issues.join('; '));
  }
}

const FIELDS = new Set(['rows', 'defaultSeverity', 'defaultScore']);
const ROW_FIELDS = new Set(['match', 'severity', 'score']);

function isSeverity(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 5;
}

function isScore(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 100;
}

const show = (v: unknown) => (typeof v === 'string' ? `"${v}"` : JSON.stringify(v));

/**
 * Checks a map as a user wrote it (JSON-shaped) and fills what may be left out: a row without a
 * score and a default severity without a default score take {@link SCORE_BY_SEVERITY}; a map with rows
 * but no default severity takes the built-in default. Throws {@link ScoringMapError} listing every
 * problem, each naming its field.
 */
export function validateScoringMap(input: unknown): ScoringMap {
  const issues: string[] = [];
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ScoringMapError(['the scoring map must be an object with "rows" and "defaultSeverity"']);
  }
  const obj = input as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (!FIELDS.has(k)) issues.push(`${k}: unknown field (allowed: rows, defaultSeverity, defaultScore)`);
  }
  const rawRows = obj.rows ?? [];
  const rows: ScoringRow[] = [];
  if (!Array.isArray(rawRows)) {
    issues.push('rows: must be a list of {match, severity, score}');
  } else {
    const seen = new Map<string, number>();
    rawRows.forEach((raw, i) => {
      const at = `rows[${i}]`;
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        issues.push(`${at}: must be an object {match, severity, score}`);
        return;
      }
      const r = raw as Record<string, unknown>;
      for (const k of Object.keys(r)) {
        if (!ROW_FIELDS.has(k)) issues.push(`${at}.${k}: unknown field (allowed: match, severity, score)`);
      }
      let ok = true;
      if (typeof r.match !== 'string' || matchKey(r.match) === '') {
        issues.push(`${at}.match: must be non-empty text (got ${show(r.match)})`);
        ok = false;
      } else {
        const key = matchKey(r.match);
        const first = seen.get(key);
        if (first !== undefined) {
          issues.push(
            `${at}.match: "${r.match}" duplicates rows[${first}] (matching ignores case and surrounding spaces)`,
          );
          ok = false;
        } else seen.set(key, i);
      }
      if (!isSeverity(r.severity)) {
        issues.push(`${at}.severity: must be a whole number from 1 to 5 (got ${show(r.severity)})`);
        ok = false;
      }
      if (r.score !== undefined && !isScore(r.score)) {
        issues.push(`${at}.score: must be a number from 0 to 100 (got ${show(r.score)})`);
        ok = false;
      }
      if (ok) {
        const severity = r.severity as number;
        rows.push({
          match: (r.match as string).trim(),
          severity,
          score: r.score === undefined ? SCORE_BY_SEVERITY[severity]! : (r.score as number),
        });
      }
    });
  }
  let defaultSeverity = DEFAULT_SCORING_MAP.defaultSeverity;
  if (obj.defaultSeverity === undefined || obj.defaultSeverity === null) {
    if (Array.isArray(rawRows) && rawRows.length === 0) {
      issues.push(
        'defaultSeverity: required when the map has no rows (otherwise nothing decides a severity)',
      );
    }
  } else if (!isSeverity(obj.defaultSeverity)) {
    issues.push(`defaultSeverity: must be a whole number from 1 to 5 (got ${show(obj.defaultSeverity)})`);
  } else defaultSeverity = obj.defaultSeverity;
  let defaultScore: number = SCORE_BY_SEVERITY[defaultSeverity]!;
  if (obj.defaultScore !== undefined && obj.defaultScore !== null) {
    if (!isScore(obj.defaultScore))
      issues.push(`defaultScore: must be a number from 0 to 100 (got ${show(obj.defaultScore)})`);
    else defaultScore = obj.defaultScore;
  } else if (obj.defaultSeverity === undefined && Array.isArray(rawRows) && rawRows.length > 0) {
    defaultScore = DEFAULT_SCORING_MAP.defaultScore;
  }
  if (issues.length > 0) throw new ScoringMapError(issues);
  return { rows, defaultSeverity, defaultScore };
}

/** The row a source severity matches (first in order), or undefined for the default. */
export function matchRow(map: ScoringMap, sourceSeverity: string | null | undefined): ScoringRow | undefined {
  const key = matchKey(sourceSeverity);
  if (key === '') return undefined;
  return map.rows.find((r) => matchKey(r.match) === key);
}
