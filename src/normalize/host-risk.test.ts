import { describe, expect, it } from 'vitest';
import { type HostRiskInput, hostRisk, hostRiskComponents, riskLevelOf } from './host-risk.js';

const none: HostRiskInput = {
  worstFindingScore: null,
  openVulnerabilities: 0,
  worstAlertSeverity: null,
  defenderRiskScore: null,
  exposureLevel: null,
};

describe('host risk formula (issue 4, item 3)', () => {
  it.each([
    ['nothing known', {}, 0, 'None'],
    ['Defender says None everywhere', { defenderRiskScore: 'None', exposureLevel: 'None' }, 0, 'None'],
    ['one low finding', { worstFindingScore: 25, openVulnerabilities: 1 }, 25.4, 'Low'],
    ['one critical finding', { worstFindingScore: 98, openVulnerabilities: 1 }, 98.4, 'Critical'],
    ['a high alert alone', { worstAlertSeverity: 'High' }, 100, 'Critical'],
    ['a medium alert alone', { worstAlertSeverity: 'Medium' }, 75, 'High'],
    ['an informational alert', { worstAlertSeverity: 'Informational' }, 20, 'Low'],
    ['an alert with an unknown severity', { worstAlertSeverity: 'Whatever' }, 0, 'None'],
    ['exposure High only', { exposureLevel: 'High' }, 80, 'High'],
    ['Defender risk Medium only', { defenderRiskScore: 'medium' }, 65, 'Medium'],
    [
      'medium findings, medium exposure, 25 vulnerabilities',
      { worstFindingScore: 55, openVulnerabilities: 25, exposureLevel: 'Medium' },
      // max 55, others 55 (exposure) + 50 (breadth): 55 + 0.1 * 105
      65.5,
      'Medium',
    ],
    [
      'everything at its worst',
      {
        worstFindingScore: 100,
        openVulnerabilities: 10_000,
        worstAlertSeverity: 'High',
        defenderRiskScore: 'High',
        exposureLevel: 'High',
      },
      100,
      'Critical',
    ],
  ] as const)('%s → %s (%s)', (_name, input, score, level) => {
    const r = hostRisk({ ...none, ...input });
    expect(r.score).toBe(score);
    expect(r.level).toBe(level);
  });

  it.each([
    [0, 'None'],
    [0.04, 'None'],
    [0.1, 'Low'],
    [39.9, 'Low'],
    [40, 'Medium'],
    [69.9, 'Medium'],
    [70, 'High'],
    [89.9, 'High'],
    [90, 'Critical'],
    [100, 'Critical'],
  ] as const)('level of %s is %s', (score, level) => {
    expect(riskLevelOf(score)).toBe(level);
  });

  it('breadth grows with the count and never reaches 100', () => {
    const b = (n: number) => hostRiskComponents({ ...none, openVulnerabilities: n }).breadth;
    expect(b(0)).toBe(0);
    expect(b(25)).toBe(50);
    expect(b(75)).toBe(75);
    expect(b(1_000_000)).toBeLessThan(100);
  });

  it('is bounded and monotone in every input (exhaustive over a grid)', () => {
    const scores = [null, 0, 10, 40, 55, 80, 95, 100];
    const counts = [0, 1, 5, 25, 100, 3000];
    const alerts = [null, 'Informational', 'Low', 'Medium', 'High'];
    const risks = [null, 'None', 'Informational', 'Low', 'Medium', 'High'];
    const exposures = [null, 'None', 'Low', 'Medium', 'High'];
    const at = (i: number[]): HostRiskInput => ({
      worstFindingScore: scores[i[0]!]!,
      openVulnerabilities: counts[i[1]!]!,
      worstAlertSeverity: alerts[i[2]!]!,
      defenderRiskScore: risks[i[3]!]!,
      exposureLevel: exposures[i[4]!]!,
    });
    const sizes = [scores.length, counts.length, alerts.length, risks.length, exposures.length];
    let checked = 0;
    const walk = (prefix: number[]) => {
      if (prefix.length === sizes.length) {
        const base = hostRisk(at(prefix)).score;
        expect(base).toBeGreaterThanOrEqual(0);
        expect(base).toBeLessThanOrEqual(100);
        // Raising any one input one step never lowers the score.
        for (let d = 0; d < sizes.length; d++) {
          if (prefix[d]! + 1 >= sizes[d]!) continue;
          const up = [...prefix];
          up[d]!++;
          expect(hostRisk(at(up)).score).toBeGreaterThanOrEqual(base);
          checked++;
        }
        return;
      }
      for (let i = 0; i < sizes[prefix.length]!; i++) walk([...prefix, i]);
    };
    walk([]);
    expect(checked).toBeGreaterThan(10_000);
  });
});
