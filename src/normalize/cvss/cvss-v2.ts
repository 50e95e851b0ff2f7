import { CvssParseError } from './cvss-v3.js';

/**
 * CVSS v2 vectors (`AV:N/AC:L/Au:N/C:P/I:P/A:P`, optionally with `(AV:...)` parentheses and temporal
 * E/RL/RC): every component parsed and the base and temporal equations of the v2 guide (3.2.1, 3.2.2).
 */
export interface CvssV2 {
  version: '2.0';
  vector: string;
  accessVector: 'L' | 'A' | 'N';
  accessComplexity: 'H' | 'M' | 'L';
  authentication: 'M' | 'S' | 'N';
  confidentiality: 'N' | 'P' | 'C';
  integrity: 'N' | 'P' | 'C';
  availability: 'N' | 'P' | 'C';
  exploitability: 'U' | 'POC' | 'F' | 'H' | 'ND';
  remediationLevel: 'OF' | 'TF' | 'W' | 'U' | 'ND';
  reportConfidence: 'UC' | 'UR' | 'C' | 'ND';
  baseScore: number;
  temporalScore: number;
}

const W = {
  AV: { L: 0.395, A: 0.646, N: 1.0 },
  AC: { H: 0.35, M: 0.61, L: 0.71 },
  Au: { M: 0.45, S: 0.56, N: 0.704 },
  CIA: { N: 0, P: 0.275, C: 0.66 },
  E: { U: 0.85, POC: 0.9, F: 0.95, H: 1, ND: 1 },
  RL: { OF: 0.87, TF: 0.9, W: 0.95, U: 1, ND: 1 },
  RC: { UC: 0.9, UR: 0.95, C: 1, ND: 1 },
} as const;

const ALLOWED: Record<string, readonly string[]> = {
  AV: ['L', 'A', 'N'],
  AC: ['H', 'M', 'L'],
  Au: ['M', 'S', 'N'],
  C: ['N', 'P', 'C'],
  I: ['N', 'P', 'C'],
  A: ['N', 'P', 'C'],
  E: ['U', 'POC', 'F', 'H', 'ND'],
  RL: ['OF', 'TF', 'W', 'U', 'ND'],
  RC: ['UC', 'UR', 'C', 'ND'],
};
const ENVIRONMENTAL = new Set(['CDP', 'TD', 'CR', 'IR', 'AR']);

/** v2 rounds to one decimal, half up. */
const round1 = (x: number) => Math.round(x * 10 + Number.EPSILON) / 10;

export function parseCvssV2(vector: string): CvssV2 {
  const text = vector
    .trim()
    .replace(/^\((.*)\)$/, '$1')
    .replace(/^CVSS:2\.0\//, '');
  const metrics = new Map<string, string>();
  for (const part of text.split('/')) {
    const [key, value, extra] = part.split(':');
    if (!key || !value || extra !== undefined)
      throw new CvssParseError(`malformed metric "${part}" in "${vector}"`);
    if (metrics.has(key)) throw new CvssParseError(`metric ${key} appears twice in "${vector}"`);
    if (!(key in ALLOWED) && !ENVIRONMENTAL.has(key))
      throw new CvssParseError(`unknown metric ${key} in "${vector}"`);
    if (ALLOWED[key] && !ALLOWED[key]!.includes(value)) {
      throw new CvssParseError(`metric ${key} cannot be ${value} (allowed: ${ALLOWED[key]!.join(', ')})`);
    }
    metrics.set(key, value);
  }
  for (const key of ['AV', 'AC', 'Au', 'C', 'I', 'A']) {
    if (!metrics.has(key)) throw new CvssParseError(`base metric ${key} missing in "${vector}"`);
  }
  const m = (key: string) => metrics.get(key) as never;
  const impact =
    10.41 * (1 - (1 - W.CIA[m('C') as 'N']) * (1 - W.CIA[m('I') as 'N']) * (1 - W.CIA[m('A') as 'N']));
  const exploitability = 20 * W.AV[m('AV') as 'L'] * W.AC[m('AC') as 'H'] * W.Au[m('Au') as 'M'];
  const f = impact === 0 ? 0 : 1.176;
  const baseScore = round1((0.6 * impact + 0.4 * exploitability - 1.5) * f);
  const e = (metrics.get('E') ?? 'ND') as CvssV2['exploitability'];
  const rl = (metrics.get('RL') ?? 'ND') as CvssV2['remediationLevel'];
  const rc = (metrics.get('RC') ?? 'ND') as CvssV2['reportConfidence'];
  const temporalScore = round1(baseScore * W.E[e] * W.RL[rl] * W.RC[rc]);
  return {
    version: '2.0',
    vector: vector.trim(),
    accessVector: m('AV'),
    accessComplexity: m('AC'),
    authentication: m('Au'),
    confidentiality: m('C'),
    integrity: m('I'),
    availability: m('A'),
    exploitability: e,
    remediationLevel: rl,
    reportConfidence: rc,
    baseScore,
    temporalScore,
  };
}
