/**
 * CVSS v3.0 and v3.1 vectors: every base, temporal and environmental-free component parsed, and the
 * base and temporal scores computed from the vector (FIRST's specification, sections 7.1 to 7.4), so
 * a score MDE reports can be checked against its own vector.
 */
export interface CvssV3 {
  version: '3.0' | '3.1';
  vector: string;
  attackVector: 'N' | 'A' | 'L' | 'P';
  attackComplexity: 'L' | 'H';
  privilegesRequired: 'N' | 'L' | 'H';
  userInteraction: 'N' | 'R';
  scope: 'U' | 'C';
  confidentiality: 'H' | 'L' | 'N';
  integrity: 'H' | 'L' | 'N';
  availability: 'H' | 'L' | 'N';
  exploitCodeMaturity: 'X' | 'H' | 'F' | 'P' | 'U';
  remediationLevel: 'X' | 'U' | 'W' | 'T' | 'O';
  reportConfidence: 'X' | 'C' | 'R' | 'U';
  baseScore: number;
  temporalScore: number;
  impactSubScore: number;
  exploitabilitySubScore: number;
}

const WEIGHTS = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
  E: { X: 1, H: 1, F: 0.97, P: 0.94, U: 0.91 },
  RL: { X: 1, U: 1, W: 0.97, T: 0.96, O: 0.95 },
  RC: { X: 1, C: 1, R: 0.96, U: 0.92 },
} as const;

/** Privileges weigh more when the scope changes (spec 7.4). */
function privilegesWeight(pr: 'N' | 'L' | 'H', scope: 'U' | 'C'): number {
  if (pr === 'N') return 0.85;
  if (pr === 'L') return scope === 'C' ? 0.68 : 0.62;
  return scope === 'C' ? 0.5 : 0.27;
}

/** v3.1's Roundup avoids floating-point surprises (spec appendix A); v3.0 rounds up to one decimal. */
function roundUp(value: number, version: '3.0' | '3.1'): number {
  if (version === '3.0') return Math.ceil(value * 10) / 10;
  const scaled = Math.round(value * 100_000);
  return scaled % 10_000 === 0 ? scaled / 100_000 : (Math.floor(scaled / 10_000) + 1) / 10;
}

const REQUIRED = ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'] as const;
const ALLOWED: Record<string, readonly string[]> = {
  AV: ['N', 'A', 'L', 'P'],
  AC: ['L', 'H'],
  PR: ['N', 'L', 'H'],
  UI: ['N', 'R'],
  S: ['U', 'C'],
  C: ['H', 'L', 'N'],
  I: ['H', 'L', 'N'],
  A: ['H', 'L', 'N'],
  E: ['X', 'H', 'F', 'P', 'U'],
  RL: ['X', 'U', 'W', 'T', 'O'],
  RC: ['X', 'C', 'R', 'U'],
};
/** Environmental metrics are parsed for validity but do not change the base or temporal score. */
const ENVIRONMENTAL = new Set(['CR', 'IR', 'AR', 'MAV', 'MAC', 'MPR', 'MUI', 'MS', 'MC', 'MI', 'MA']);

export class CvssParseError extends Error {}

export function parseCvssV3(vector: string): CvssV3 {
  const parts = vector.trim().split('/');
  const prefix = /^CVSS:(3\.[01])$/.exec(parts[0] ?? '');
  if (!prefix)
    throw new CvssParseError(`not a CVSS v3 vector (must start with CVSS:3.0/ or CVSS:3.1/): "${vector}"`);
  const version = prefix[1] as '3.0' | '3.1';
  const metrics = new Map<string, string>();
  for (const part of parts.slice(1)) {
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
  for (const key of REQUIRED)
    if (!metrics.has(key)) throw new CvssParseError(`base metric ${key} missing in "${vector}"`);
  const m = (key: string) => metrics.get(key) as never;
  const scope = m('S') as 'U' | 'C';
  const iss =
    1 -
    (1 - WEIGHTS.CIA[m('C') as 'H']) * (1 - WEIGHTS.CIA[m('I') as 'H']) * (1 - WEIGHTS.CIA[m('A') as 'H']);
  const impact = scope === 'U' ? 6.42 * iss : 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15;
  const exploitability =
    8.22 *
    WEIGHTS.AV[m('AV') as 'N'] *
    WEIGHTS.AC[m('AC') as 'L'] *
    privilegesWeight(m('PR'), scope) *
    WEIGHTS.UI[m('UI') as 'N'];
  const baseScore =
    impact <= 0
      ? 0
      : roundUp(
          Math.min(scope === 'U' ? impact + exploitability : 1.08 * (impact + exploitability), 10),
          version,
        );
  const e = (metrics.get('E') ?? 'X') as CvssV3['exploitCodeMaturity'];
  const rl = (metrics.get('RL') ?? 'X') as CvssV3['remediationLevel'];
  const rc = (metrics.get('RC') ?? 'X') as CvssV3['reportConfidence'];
  const temporalScore = roundUp(baseScore * WEIGHTS.E[e] * WEIGHTS.RL[rl] * WEIGHTS.RC[rc], version);
  return {
    version,
    vector: vector.trim(),
    attackVector: m('AV'),
    attackComplexity: m('AC'),
    privilegesRequired: m('PR'),
    userInteraction: m('UI'),
    scope,
    confidentiality: m('C'),
    integrity: m('I'),
    availability: m('A'),
    exploitCodeMaturity: e,
    remediationLevel: rl,
    reportConfidence: rc,
    baseScore,
    temporalScore,
    impactSubScore: Math.round(Math.max(impact, 0) * 10) / 10,
    exploitabilitySubScore: Math.round(exploitability * 10) / 10,
  };
}
