import { type CvssV2, parseCvssV2 } from './cvss-v2.js';
import { CvssParseError, type CvssV3, parseCvssV3 } from './cvss-v3.js';

export type Cvss = CvssV3 | CvssV2;

/**
 * Any CVSS vector MDE may send: v3.x with its `CVSS:3.x/` prefix, otherwise v2 (docs/mde-api.md#cve-catalog).
 */
export function parseCvss(vector: string): Cvss {
  return vector.trim().startsWith('CVSS:3.') ? parseCvssV3(vector) : parseCvssV2(vector);
}

/** The vector's score and whether it agrees with the score MDE reported (to one decimal). */
export function checkReportedScore(
  vector: string | null | undefined,
  reported: number | null | undefined,
): { computed: number | null; agrees: boolean | null; error?: string } {
  if (!vector) return { computed: null, agrees: null };
  try {
    const cvss = parseCvss(vector);
    const agrees =
      reported === null || reported === undefined ? null : Math.abs(cvss.baseScore - reported) < 0.05;
    return { computed: cvss.baseScore, agrees };
  } catch (err) {
    if (err instanceof CvssParseError) return { computed: null, agrees: null, error: err.message };
    throw err;
  }
}
