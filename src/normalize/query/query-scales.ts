import { EXPLOIT_MATURITIES, EXPLOITABILITY_LEVEL_RANK } from '../exploit-maturity.js';

/**
 * An ordered scale of words that a query compares by rank, whatever form an entity stores it in
 * (a number, a word in any case, or Defender's own value). The same word means the same rank on
 * every entity: `severity:high` is rank 4 on findings, vulnerabilities, alerts and hosts alike.
 */
export interface QueryScale {
  /** What the scale measures, for messages. */
  name: string;
  /** The words in rank order: the first is rank 0. */
  words: readonly string[];
  /** Other spellings accepted in queries and read from records, lower-case, by the word they mean. */
  aliases: Readonly<Record<string, string>>;
}

/**
 * Severity: `none` < `informational` < `low` < `medium` < `high` < `critical`, ranks 0 to 5. A finding's
 * severity 1 to 5 is this rank; host risk levels, Defender alert severities, CVE severities and
 * exposure levels are these words. Defender's `UnSpecified` alert severity counts as informational.
 */
export const SEVERITY_SCALE: QueryScale = {
  name: 'severity',
  words: ['none', 'informational', 'low', 'medium', 'high', 'critical'],
  aliases: { info: 'informational', unspecified: 'informational' },
};

/**
 * Exploit maturity: `none` < `public` < `verified` < `in-kit`, ranks 0 to 3. A finding's
 * `exploitabilityLevel` (`ExploitIsVerified`, ...) and a CVE's maturity rank are read on it.
 */
export const EXPLOIT_SCALE: QueryScale = {
  name: 'exploit maturity',
  words: EXPLOIT_MATURITIES,
  aliases: {
    inkit: 'in-kit',
    kit: 'in-kit',
    ...Object.fromEntries(
      Object.entries(EXPLOITABILITY_LEVEL_RANK).map(([level, rank]) => [level, EXPLOIT_MATURITIES[rank]!]),
    ),
  },
};

/** The rank a word (or alias) has on a scale, ignoring case; undefined when it is not on it. */
export function rankOfWord(scale: QueryScale, word: string): number | undefined {
  const w = word.trim().toLowerCase();
  const index = scale.words.indexOf(scale.aliases[w] ?? w);
  return index < 0 ? undefined : index;
}

/** A stored value's rank: a number as it is, a word by {@link rankOfWord}; null when unknown. */
export function rankOfValue(scale: QueryScale, raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : null;
  if (typeof raw !== 'string' || raw.trim() === '') return null;
  if (/^\d+(\.\d+)?$/.test(raw.trim())) return Number(raw);
  return rankOfWord(scale, raw) ?? null;
}
