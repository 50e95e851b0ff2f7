import { describe, expect, it } from 'vitest';
import {
  cvssBaseScore,
  cvssTemporalScore,
  parseCvssVector,
  roundUp,
  scoreOfVector,
  severityOfScore,
} from './cvss.js';

describe('CVSS 3.1 scores', () => {
  // Base scores as NVD publishes them for these vectors.
  const known: Array<[string, number]> = [
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', 9.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H', 8.8],
    ['CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 7.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:L/A:N', 7.2],
    ['CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N', 3.1],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H', 10],
    ['CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', 8.8],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N', 6.1],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H', 7.5],
    ['CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N', 1.6],
    ['CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N', 0],
    ['CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C', 8.8],
  ];
  for (const [vector, score] of known) {
    it(`${vector} = ${score}`, () => {
      expect(scoreOfVector(vector)).toBe(score);
    });
  }

  it('computes the temporal score from E/RL/RC', () => {
    const parsed = parseCvssVector('CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H/E:U/RL:O/RC:C');
    expect(parsed).toBeDefined();
    // 8.8 x 0.91 x 0.95 x 1 = 7.6076, rounded up to 7.7
    expect(cvssTemporalScore(parsed!)).toBe(7.7);
    expect(cvssTemporalScore(parseCvssVector('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')!)).toBe(9.8);
    expect(cvssBaseScore(parsed!)).toBe(8.8);
  });

  it('rejects malformed vectors', () => {
    expect(parseCvssVector('CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P')).toBeUndefined();
    expect(parseCvssVector('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H')).toBeUndefined();
    expect(parseCvssVector('CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:X/C:H/I:H/A:H')).toBeUndefined();
    expect(() => scoreOfVector('CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H')).toThrow(RangeError);
  });

  it('rounds up as the specification says, without float noise', () => {
    expect(roundUp(4.0)).toBe(4);
    expect(roundUp(4.02)).toBe(4.1);
    expect(roundUp(4.000001)).toBe(4);
  });

  it('maps scores to the qualitative rating', () => {
    expect(severityOfScore(9.8)).toBe('Critical');
    expect(severityOfScore(9)).toBe('Critical');
    expect(severityOfScore(8.9)).toBe('High');
    expect(severityOfScore(7)).toBe('High');
    expect(severityOfScore(6.9)).toBe('Medium');
    expect(severityOfScore(4)).toBe('Medium');
    expect(severityOfScore(3.9)).toBe('Low');
  });
});
