import { describe, expect, it } from 'vitest';
import { parseCvssV2 } from './cvss-v2.js';
import { parseCvssV3 } from './cvss-v3.js';
import { checkReportedScore, parseCvss } from './parse-cvss.js';

/** Vectors and scores as NVD and FIRST's calculators publish them. */
describe('CVSS v3 (FIRST 3.0/3.1 specification)', () => {
  it.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8, 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', 8.8, 8.8],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8, 7.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:L/A:N', 7.2, 7.2],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N', 3.1, 3.1],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10, 10],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N', 6.4, 6.4],
    ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N', 0, 0],
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C', 8.8, 7.7],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:F/RL:O/RC:C', 9.8, 9.1],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H/E:P/RL:T/RC:R', 7.8, 6.8],
  ])('%s → base %s, temporal %s', (vector, base, temporal) => {
    const c = parseCvssV3(vector);
    expect(c.baseScore).toBe(base);
    expect(c.temporalScore).toBe(temporal);
  });

  it('parses every component', () => {
    expect(parseCvssV3('CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C')).toMatchObject({
      version: '3.0',
      attackVector: 'N',
      attackComplexity: 'L',
      privilegesRequired: 'N',
      userInteraction: 'R',
      scope: 'U',
      confidentiality: 'H',
      integrity: 'H',
      availability: 'H',
      exploitCodeMaturity: 'U',
      remediationLevel: 'O',
      reportConfidence: 'C',
    });
  });

  it.each([
    ['AV:N/AC:L', /not a CVSS v3 vector/],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H', /base metric A missing/],
    ['CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /AV cannot be Q/],
    ['CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /appears twice/],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1', /unknown metric ZZ/],
  ])('refuses %s', (vector, message) => {
    expect(() => parseCvssV3(vector)).toThrow(message);
  });
});

describe('CVSS v2 (the v2 guide, as NVD scores it)', () => {
  it.each([
    ['AV:N/AC:L/Au:N/C:P/I:P/A:P', 7.5],
    ['AV:N/AC:M/Au:N/C:P/I:N/A:N', 4.3],
    ['AV:L/AC:L/Au:N/C:C/I:C/A:C', 7.2],
    ['AV:N/AC:L/Au:N/C:C/I:C/A:C', 10],
    ['AV:N/AC:L/Au:N/C:N/I:N/A:P', 5],
    ['AV:N/AC:M/Au:N/C:N/I:P/A:N', 4.3],
    ['(AV:N/AC:L/Au:S/C:P/I:P/A:P)', 6.5],
    ['AV:L/AC:H/Au:N/C:N/I:N/A:N', 0],
  ])('%s → %s', (vector, base) => {
    expect(parseCvssV2(vector).baseScore).toBe(base);
  });

  it('computes the temporal score', () => {
    // NVD's example CVE-2002-0392: base 7.8 (AV:N/AC:L/Au:N/C:N/I:N/A:C), temporal 6.4 with E:F/RL:OF/RC:C.
    const c = parseCvssV2('AV:N/AC:L/Au:N/C:N/I:N/A:C/E:F/RL:OF/RC:C');
    expect(c.baseScore).toBe(7.8);
    expect(c.temporalScore).toBe(6.4);
  });
});

describe("parseCvss and the check against MDE's reported score", () => {
  it('dispatches on the prefix', () => {
    expect(parseCvss('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H').version).toBe('3.1');
    expect(parseCvss('AV:N/AC:L/Au:N/C:P/I:P/A:P').version).toBe('2.0');
  });

  it.each([
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8, { computed: 9.8, agrees: true }],
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C', 8, { computed: 8.8, agrees: false }],
    [null, 5, { computed: null, agrees: null }],
  ] as const)('%s reported %s', (vector, reported, expected) => {
    expect(checkReportedScore(vector, reported)).toMatchObject(expected);
  });
});
