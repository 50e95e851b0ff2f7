import { describe, expect, it } from 'vitest';
import { defaultScore } from '../default-scoring.js';
import { type CveFactors, compileScorer } from './compile-scorer.js';
import {
  computeScore,
  type ExploitLevel,
  exploitLevelOfFlags,
  exploitLevelOfText,
  type ScoringInputs,
} from './scoring-formula.js';
import { DEFAULT_SCORING_MAP, type ScoringMap, ScoringMapError, validateScoringMap } from './scoring-map.js';
import { parseScoringMapFile, scoringMapRecords } from './scoring-map-file.js';

const none: ScoringInputs = {
  sourceSeverity: null,
  cvss: null,
  epss: null,
  exploitLevel: 0,
  deviceValue: null,
};

describe('the scoring formula (README "Scoring")', () => {
  it.each<[string, Partial<ScoringInputs>, number, number]>([
    // [case, inputs, severity, score]
    ['nothing known: the default severity and score', {}, 3, 55],
    ['High alone: the map row', { sourceSeverity: 'High' }, 4, 80],
    ['case and spaces do not matter', { sourceSeverity: '  cRiTiCaL ' }, 5, 95],
    ['unknown text: the default', { sourceSeverity: 'Severe' }, 3, 55],
    ['High with CVSS 7.5: mean of 80 and 75', { sourceSeverity: 'High', cvss: 7.5 }, 4, 78],
    ['Critical with CVSS 10', { sourceSeverity: 'Critical', cvss: 10 }, 5, 98],
    ['Low with CVSS 0', { sourceSeverity: 'Low', cvss: 0 }, 2, 13],
    ['CVSS out of range counts as missing', { sourceSeverity: 'High', cvss: 11 }, 4, 80],
    ['CVSS NaN counts as missing', { sourceSeverity: 'High', cvss: Number.NaN }, 4, 80],
    ['EPSS 1 takes half the headroom', { sourceSeverity: 'Medium', epss: 1 }, 3, 78],
    ['EPSS out of range counts as 0', { sourceSeverity: 'Medium', epss: 1.5 }, 3, 55],
    ['public exploit', { sourceSeverity: 'Medium', exploitLevel: 1 }, 3, 62],
    ['verified exploit', { sourceSeverity: 'Medium', exploitLevel: 2 }, 3, 69],
    ['exploit in a kit', { sourceSeverity: 'Medium', exploitLevel: 3 }, 3, 75],
    ['kit and EPSS 1 together', { sourceSeverity: 'Medium', exploitLevel: 3, epss: 1 }, 3, 88],
    ['Low-value device', { sourceSeverity: 'High', deviceValue: 'Low' }, 4, 64],
    ['High-value device', { sourceSeverity: 'High', deviceValue: 'High' }, 4, 85],
    ['unknown device value is Normal', { sourceSeverity: 'High', deviceValue: 'Crown jewel' }, 4, 80],
    [
      'the README worked example',
      { sourceSeverity: 'High', cvss: 7.5, epss: 0.2, exploitLevel: 1, deviceValue: 'High' },
      4,
      87,
    ],
    [
      'everything at its maximum stays within 100',
      { sourceSeverity: 'Critical', cvss: 10, epss: 1, exploitLevel: 3, deviceValue: 'High' },
      5,
      99,
    ],
    ['everything at its minimum', { sourceSeverity: 'Informational', cvss: 0, deviceValue: 'Low' }, 1, 2],
  ])('%s', (_name, inputs, severity, score) => {
    expect(computeScore({ ...none, ...inputs }, DEFAULT_SCORING_MAP)).toEqual({ severity, score });
  });

  it('is bounded and never decreases when any input increases', () => {
    const cvssValues = [null, 0, 2.5, 5, 7.5, 9.8, 10];
    const epssValues = [null, 0, 0.01, 0.3, 0.9, 1];
    const levels: ExploitLevel[] = [0, 1, 2, 3];
    const devices = ['Low', 'Normal', 'High'];
    const mapScores = [0, 20, 50, 80, 100];
    const score = (q: number, c: number | null, e: number | null, l: ExploitLevel, d: string) =>
      computeScore(
        { sourceSeverity: 'x', cvss: c, epss: e, exploitLevel: l, deviceValue: d },
        { rows: [{ match: 'x', severity: 3, score: q }], defaultSeverity: 1, defaultScore: 0 },
      ).score;
    for (const q of mapScores)
      for (const c of cvssValues)
        for (const e of epssValues)
          for (const l of levels)
            for (const d of devices) {
              const s = score(q, c, e, l, d);
              expect(s).toBeGreaterThanOrEqual(0);
              expect(s).toBeLessThanOrEqual(100);
              if (c !== null && c < 10) expect(score(q, c + 0.1, e, l, d)).toBeGreaterThanOrEqual(s);
              if (e !== null && e < 1) expect(score(q, c, e + 0.05, l, d)).toBeGreaterThanOrEqual(s);
              if (l < 3) expect(score(q, c, e, (l + 1) as ExploitLevel, d)).toBeGreaterThanOrEqual(s);
              if (d !== 'High')
                expect(score(q, c, e, l, d === 'Low' ? 'Normal' : 'High')).toBeGreaterThanOrEqual(s);
              if (q < 100) expect(score(q + 10, c, e, l, d)).toBeGreaterThanOrEqual(s);
            }
  });

  it.each<[string | null, ExploitLevel]>([
    ['NoExploit', 0],
    ['ExploitIsPublic', 1],
    ['ExploitIsVerified', 2],
    ['ExploitIsInKit', 3],
    ['exploitisinkit', 3],
    ['SomethingNew', 0],
    [null, 0],
  ])('exploitability level %s is %i', (text, level) => {
    expect(exploitLevelOfText(text)).toBe(level);
  });

  it('exploit flags: the most mature one set wins', () => {
    expect(exploitLevelOfFlags(false, false, false)).toBe(0);
    expect(exploitLevelOfFlags(true, false, false)).toBe(1);
    expect(exploitLevelOfFlags(true, true, false)).toBe(2);
    expect(exploitLevelOfFlags(0, 0, 1)).toBe(3);
    expect(exploitLevelOfFlags(null, undefined, null)).toBe(0);
  });
});

describe('scoring maps', () => {
  const custom: ScoringMap = validateScoringMap({
    rows: [
      { match: 'A', severity: 5, score: 100 },
      { match: 'B', severity: 4 },
      { match: '3', severity: 2, score: 30 },
    ],
    defaultSeverity: 1,
  });

  it('fills a missing row score and default score from the severity', () => {
    expect(custom.rows[1]).toEqual({ match: 'B', severity: 4, score: 80 });
    expect(custom.defaultScore).toBe(5);
  });

  it.each<[string, string | null, number, number]>([
    ['a row', 'A', 5, 100],
    ['a row, lower case and padded', ' a ', 5, 100],
    ['a numeric text', '3', 2, 30],
    ['no row: the default severity', 'High', 1, 5],
    ['no text: the default severity', null, 1, 5],
    ['empty text: the default severity', '', 1, 5],
  ])('%s', (_name, text, severity, score) => {
    expect(computeScore({ ...none, sourceSeverity: text }, custom)).toEqual({ severity, score });
  });

  it("a row fixes severity and the map score; the formula's modifiers still apply", () => {
    expect(
      computeScore({ sourceSeverity: 'A', cvss: 5, epss: 0, exploitLevel: 0, deviceValue: 'Low' }, custom),
    ).toEqual({ severity: 5, score: 60 });
  });

  it('a map with rows but no default takes the built-in default', () => {
    const m = validateScoringMap({ rows: [{ match: 'x', severity: 2 }] });
    expect([m.defaultSeverity, m.defaultScore]).toEqual([3, 55]);
  });

  it('an empty map with a default is allowed: everything gets the default', () => {
    const m = validateScoringMap({ rows: [], defaultSeverity: 2, defaultScore: 33 });
    expect(computeScore({ ...none, sourceSeverity: 'Critical' }, m)).toEqual({ severity: 2, score: 33 });
  });

  it.each<[string, unknown, RegExp]>([
    [
      'severity above 5',
      { rows: [{ match: 'x', severity: 6 }] },
      /rows\[0\]\.severity: must be a whole number from 1 to 5 \(got 6\)/,
    ],
    ['severity 0', { rows: [{ match: 'x', severity: 0 }] }, /rows\[0\]\.severity/],
    ['fractional severity', { rows: [{ match: 'x', severity: 2.5 }] }, /rows\[0\]\.severity/],
    [
      'score above 100',
      { rows: [{ match: 'x', severity: 2, score: 101 }] },
      /rows\[0\]\.score: must be a number from 0 to 100/,
    ],
    ['negative score', { rows: [{ match: 'x', severity: 2, score: -1 }] }, /rows\[0\]\.score/],
    ['empty match', { rows: [{ match: '  ', severity: 2 }] }, /rows\[0\]\.match: must be non-empty text/],
    [
      'duplicate match text',
      {
        rows: [
          { match: 'High', severity: 4 },
          { match: ' high ', severity: 5 },
        ],
      },
      /rows\[1\]\.match: " high " duplicates rows\[0\]/,
    ],
    ['empty map without a default', { rows: [] }, /defaultSeverity: required when the map has no rows/],
    [
      'default severity out of range',
      { rows: [], defaultSeverity: 9 },
      /defaultSeverity: must be a whole number from 1 to 5/,
    ],
    [
      'default score out of range',
      { defaultSeverity: 2, defaultScore: 500 },
      /defaultScore: must be a number from 0 to 100/,
    ],
    ['unknown field', { rows: [], defaultSeverity: 2, colour: 'red' }, /colour: unknown field/],
    ['unknown row field', { rows: [{ match: 'x', severity: 2, qds: 3 }] }, /rows\[0\]\.qds: unknown field/],
    ['rows not a list', { rows: 'High=4' }, /rows: must be a list/],
    ['not an object', [1, 2], /must be an object/],
  ])('rejects %s', (_name, input, message) => {
    expect(() => validateScoringMap(input)).toThrow(ScoringMapError);
    expect(() => validateScoringMap(input)).toThrow(message);
  });

  it('lists every problem at once', () => {
    try {
      validateScoringMap({ rows: [{ match: '', severity: 9, score: 200 }] });
      expect.unreachable();
    } catch (err) {
      expect((err as ScoringMapError).issues).toHaveLength(3);
    }
  });
});

describe('scoring map files', () => {
  it('reads CSV with a default row and round-trips through the records `show` prints', () => {
    const csv = 'match,severity,score\r\nCritical,5,100\r\n"High, urgent",4,\r\nLow,2,20\r\n*,1,3\r\n';
    const map = parseScoringMapFile(csv, 'csv');
    expect(map).toEqual({
      rows: [
        { match: 'Critical', severity: 5, score: 100 },
        { match: 'High, urgent', severity: 4, score: 80 },
        { match: 'Low', severity: 2, score: 20 },
      ],
      defaultSeverity: 1,
      defaultScore: 3,
    });
    const back = scoringMapRecords(map)
      .map((r) => `"${r.match}",${r.severity},${r.score}`)
      .join('\n');
    expect(parseScoringMapFile(`match,severity,score\n${back}`, 'csv')).toEqual(map);
  });

  it('reads JSON', () => {
    const json = JSON.stringify({ rows: [{ match: 'High', severity: 4, score: 70 }], defaultSeverity: 2 });
    expect(parseScoringMapFile(json, 'json')).toEqual({
      rows: [{ match: 'High', severity: 4, score: 70 }],
      defaultSeverity: 2,
      defaultScore: 25,
    });
  });

  it.each<[string, string, 'csv' | 'json', RegExp]>([
    ['bad JSON', '{rows:', 'json', /file: not valid JSON/],
    ['a CSV without the header', 'High,4,80\n', 'csv', /header \(line 1\)/],
    [
      'a CSV severity that is text',
      'match,severity\nHigh,four\n',
      'csv',
      /line 2 \(rows\[0\]\)\.severity: .*\(got "four"\)/,
    ],
    ['two default rows', 'match,severity\n*,1\n*,2\n', 'csv', /line 3, match: a second "\*"/],
    ['an empty CSV', 'match,severity,score\n', 'csv', /defaultSeverity: required/],
  ])('rejects %s', (_name, text, format, message) => {
    expect(() => parseScoringMapFile(text, format)).toThrow(message);
  });
});

describe('the compiled scorer', () => {
  const cves = new Map<string, CveFactors>([
    ['CVE-1', { cvssV3: 9.8, severity: 'Critical', epss: 0.5, exploitLevel: 2 }],
    ['CVE-2', { cvssV3: null, severity: 'Low', epss: null, exploitLevel: 0 }],
  ]);
  const deviceValues = new Map<string, string | null>([
    ['m-high', 'High'],
    ['m-low', 'Low'],
    ['m-none', null],
  ]);
  const scorer = compileScorer(DEFAULT_SCORING_MAP, { cves, deviceValues });

  it.each<[string, Parameters<typeof scorer>[0], ScoringInputs]>([
    [
      "the finding's own fields win; the definition adds EPSS and a higher exploit level",
      {
        cveId: 'CVE-1',
        machineId: 'm-high',
        sourceSeverity: 'High',
        cvssScore: 7,
        exploitabilityLevel: 'ExploitIsPublic',
      },
      { sourceSeverity: 'High', cvss: 7, epss: 0.5, exploitLevel: 2, deviceValue: 'High' },
    ],
    [
      "a missing CVSS and severity fall back to the definition's",
      {
        cveId: 'CVE-1',
        machineId: 'm-low',
        sourceSeverity: null,
        cvssScore: null,
        exploitabilityLevel: null,
      },
      { sourceSeverity: 'Critical', cvss: 9.8, epss: 0.5, exploitLevel: 2, deviceValue: 'Low' },
    ],
    [
      "the finding's higher exploit level wins over the definition's",
      {
        cveId: 'CVE-2',
        machineId: 'm-none',
        sourceSeverity: 'Low',
        cvssScore: 3.1,
        exploitabilityLevel: 'ExploitIsInKit',
      },
      { sourceSeverity: 'Low', cvss: 3.1, epss: null, exploitLevel: 3, deviceValue: null },
    ],
    [
      'an unknown CVE and an unknown machine: the row alone',
      {
        cveId: 'TVM-9',
        machineId: 'nobody',
        sourceSeverity: 'Medium',
        cvssScore: null,
        exploitabilityLevel: 'NoExploit',
      },
      { sourceSeverity: 'Medium', cvss: null, epss: null, exploitLevel: 0, deviceValue: null },
    ],
  ])('%s', (_name, finding, inputs) => {
    expect(scorer(finding)).toEqual(computeScore(inputs, DEFAULT_SCORING_MAP));
  });
});

describe('the default score of a row alone', () => {
  it.each<[string | null, number | null, string | null]>([
    ['High', 7.5, 'ExploitIsPublic'],
    ['critical', null, null],
    [null, 9.1, 'ExploitIsInKit'],
    ['Unheard-of', 3, 'NoExploit'],
  ])('%s / %s / %s is the formula with the default map', (severity, cvss, exploit) => {
    expect(defaultScore(severity, cvss, exploit)).toEqual(
      computeScore(
        {
          sourceSeverity: severity,
          cvss,
          epss: null,
          exploitLevel: exploitLevelOfText(exploit),
          deviceValue: null,
        },
        DEFAULT_SCORING_MAP,
      ),
    );
  });
});
