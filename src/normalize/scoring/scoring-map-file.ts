import { type ScoringMap, ScoringMapError, validateScoringMap } from './scoring-map.js';

export const SCORING_FILE_FORMATS = ['json', 'csv'] as const;
export type ScoringFileFormat = (typeof SCORING_FILE_FORMATS)[number];

/** The CSV row whose `match` is this holds the default severity and score. */
export const CSV_DEFAULT_MATCH = '*';
const CSV_HEADER = ['match', 'severity', 'score'] as const;

/**
 * Reads a scoring map file as `mdec scoring set --file` takes it:
 * - JSON: `{"rows":[{"match":"Critical","severity":5,"score":95},...],"defaultSeverity":3,"defaultScore":55}`
 * - CSV: header `match,severity,score`, one row per line in order, and a row with match `*` for the
 *   default. An empty score takes the severity's standard score.
 * Throws {@link ScoringMapError} naming the field (and the CSV line) of every problem.
 */
export function parseScoringMapFile(text: string, format: ScoringFileFormat): ScoringMap {
  if (format === 'json') {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new ScoringMapError([`file: not valid JSON (${(err as Error).message})`]);
    }
    return validateScoringMap(value);
  }
  const { input, lines } = csvToMapInput(text);
  try {
    return validateScoringMap(input);
  } catch (err) {
    if (!(err instanceof ScoringMapError)) throw err;
    // Name the CSV line too: a spreadsheet user thinks in lines, not list indexes.
    throw new ScoringMapError(
      err.issues.map((issue) =>
        issue.replace(/^rows\[(\d+)\]/, (m, i: string) => `line ${lines[Number(i)]} (${m})`),
      ),
    );
  }
}

function csvToMapInput(text: string): { input: unknown; lines: number[] } {
  const lines = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l, i) => ({ cells: splitCsvLine(l), line: i + 1 }))
    .filter((l) => l.cells.some((c) => c.trim() !== ''));
  const header = lines.shift();
  const names = header?.cells.map((c) => c.trim().toLowerCase()) ?? [];
  const missing = CSV_HEADER.filter((h) => h !== 'score' && !names.includes(h));
  const unknown = names.filter((n) => !(CSV_HEADER as readonly string[]).includes(n));
  if (!header || missing.length > 0 || unknown.length > 0) {
    throw new ScoringMapError([
      `header (line 1): must name the columns match,severity,score (got "${header?.cells.join(',') ?? ''}")`,
    ]);
  }
  const col = (cells: string[], name: string) => {
    const i = names.indexOf(name);
    return i < 0 ? '' : (cells[i] ?? '').trim();
  };
  const issues: string[] = [];
  const rows: unknown[] = [];
  const rowLines: number[] = [];
  const out: Record<string, unknown> = { rows };
  let defaults = 0;
  for (const { cells, line } of lines) {
    const match = col(cells, 'match');
    const severity = numberCell(col(cells, 'severity'));
    const score = numberCell(col(cells, 'score'));
    if (match === CSV_DEFAULT_MATCH) {
      if (++defaults > 1) issues.push(`line ${line}, match: a second "${CSV_DEFAULT_MATCH}" (default) row`);
      out.defaultSeverity = severity;
      if (score !== undefined) out.defaultScore = score;
    } else {
      rows.push(score === undefined ? { match, severity } : { match, severity, score });
      rowLines.push(line);
    }
  }
  if (issues.length > 0) throw new ScoringMapError(issues);
  return { input: out, lines: rowLines };
}

/** A number, or the text itself (so validation can say what was wrong), or undefined when empty. */
function numberCell(text: string): unknown {
  if (text === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
}

/** RFC 4180 cells of one line (quotes and doubled quotes). */
export function splitCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      cells.push(cur);
      cur = '';
    } else cur += ch;
  }
  cells.push(cur);
  return cells;
}

/** The map as CSV records in the layout {@link parseScoringMapFile} reads back. */
export function scoringMapRecords(
  map: ScoringMap,
): Array<{ match: string; severity: number; score: number }> {
  return [
    ...map.rows.map((r) => ({ match: r.match, severity: r.severity, score: r.score })),
    { match: CSV_DEFAULT_MATCH, severity: map.defaultSeverity, score: map.defaultScore },
  ];
}
