import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALERT_POINTS,
  DEFENDER_RISK_POINTS,
  EXPOSURE_POINTS,
  findingWeight,
  type HostRiskInput,
  hostRisk,
  RISK_LEVEL_ORDER,
  riskLevelOf,
  vulnerabilityLoad,
} from './host-risk.js';

const none: HostRiskInput = {
  vulnerabilityLoad: 0,
  worstAlertSeverity: null,
  defenderRiskScore: null,
  exposureLevel: null,
};

/** 3 findings of score 95, 12 of 80 and 20 of 55: the worked example of docs/host-risk.md. */
const exampleScores = [...Array(3).fill(95), ...Array(12).fill(80), ...Array(20).fill(55)];

describe('host risk formula', () => {
  it.each([
    ['nothing known', {}, 0, 'None'],
    ['Defender says None everywhere', { defenderRiskScore: 'None', exposureLevel: 'None' }, 0, 'None'],
    ['one finding of score 100', { vulnerabilityLoad: 1 }, 3.6, 'Low'],
    ['16 findings of score 100', { vulnerabilityLoad: 16 }, 34, 'Low'],
    ['a load of 50', { vulnerabilityLoad: 50 }, 57.3, 'Medium'],
    ['a load of 250', { vulnerabilityLoad: 250 }, 81.5, 'High'],
    ['a load of 2000', { vulnerabilityLoad: 2000 }, 94.5, 'Critical'],
    ['a High alert alone', { worstAlertSeverity: 'High' }, 90.9, 'Critical'],
    ['a Medium alert alone', { worstAlertSeverity: 'Medium' }, 81.7, 'High'],
    ['a Low alert alone', { worstAlertSeverity: 'Low' }, 59.3, 'Medium'],
    ['an Informational alert', { worstAlertSeverity: 'Informational' }, 25.9, 'Low'],
    ['an UnSpecified alert', { worstAlertSeverity: 'UnSpecified' }, 25.9, 'Low'],
    ['an alert with an unknown severity', { worstAlertSeverity: 'Whatever' }, 0, 'None'],
    ['Defender risk High only', { defenderRiskScore: 'High' }, 63.2, 'Medium'],
    ['Defender risk medium only (any case)', { defenderRiskScore: 'medium' }, 39.3, 'Low'],
    ['exposure High only', { exposureLevel: 'High' }, 18.1, 'Low'],
    [
      'a Medium alert on a machine at high risk',
      { worstAlertSeverity: 'Medium', defenderRiskScore: 'High' },
      93.3,
      'Critical',
    ],
    [
      'the worked example',
      {
        vulnerabilityLoad: vulnerabilityLoad(exampleScores),
        worstAlertSeverity: 'Low',
        defenderRiskScore: 'Medium',
        exposureLevel: 'Medium',
      },
      83,
      'High',
    ],
    [
      'the worked example without its alert',
      {
        vulnerabilityLoad: vulnerabilityLoad(exampleScores),
        defenderRiskScore: 'Medium',
        exposureLevel: 'Medium',
      },
      58.2,
      'Medium',
    ],
    [
      'everything at its worst',
      {
        vulnerabilityLoad: 1_000_000,
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

  it('weighs a finding by the fourth power of its score', () => {
    expect(findingWeight(100)).toBe(1);
    expect(findingWeight(0)).toBe(0);
    expect(findingWeight(50)).toBe(0.0625);
    expect(findingWeight(150)).toBe(1);
    expect(findingWeight(-3)).toBe(0);
    expect(vulnerabilityLoad([])).toBe(0);
    expect(vulnerabilityLoad([100, 50])).toBe(1.0625);
  });
});

const severity = (table: Record<string, number>) =>
  fc.constantFrom<string | null>(
    null,
    'Unknown',
    ...Object.keys(table).map((k) => k[0]!.toUpperCase() + k.slice(1)),
  );
const points = (table: Record<string, number>, v: string | null) =>
  v === null ? 0 : (table[v.toLowerCase()] ?? 0);

/** A host's raw inputs: its open finding scores and Defender's values. */
const hostArb = fc.record({
  scores: fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { maxLength: 300 }),
  alert: severity(ALERT_POINTS),
  defender: severity(DEFENDER_RISK_POINTS),
  exposure: severity(EXPOSURE_POINTS),
});
type Host = typeof hostArb extends fc.Arbitrary<infer T> ? T : never;
const riskOf = (h: Host) =>
  hostRisk({
    vulnerabilityLoad: vulnerabilityLoad(h.scores),
    worstAlertSeverity: h.alert,
    defenderRiskScore: h.defender,
    exposureLevel: h.exposure,
  });
const rank = (level: string) => RISK_LEVEL_ORDER.length - RISK_LEVEL_ORDER.indexOf(level as never);

describe('host risk properties', () => {
  it('is bounded by 0 and 100, one decimal, and its level is the band of its score', () => {
    fc.assert(
      fc.property(hostArb, (h) => {
        const r = riskOf(h);
        expect(r.score).toBeGreaterThanOrEqual(0);
        expect(r.score).toBeLessThanOrEqual(100);
        expect(Math.round(r.score * 10) / 10).toBe(r.score);
        expect(r.level).toBe(riskLevelOf(r.score));
      }),
    );
  });

  it('never goes down with another open finding', () => {
    fc.assert(
      fc.property(hostArb, fc.double({ min: 0, max: 100, noNaN: true }), (h, extra) => {
        const more = riskOf({ ...h, scores: [...h.scores, extra] });
        expect(more.score).toBeGreaterThanOrEqual(riskOf(h).score);
        expect(rank(more.level)).toBeGreaterThanOrEqual(rank(riskOf(h).level));
      }),
    );
  });

  it('never goes down when a finding scores worse', () => {
    fc.assert(
      fc.property(hostArb, fc.nat(), fc.double({ min: 0, max: 100, noNaN: true }), (h, i, raise) => {
        fc.pre(h.scores.length > 0);
        const at = i % h.scores.length;
        const worse = [...h.scores];
        worse[at] = Math.min(100, worse[at]! + raise);
        expect(riskOf({ ...h, scores: worse }).score).toBeGreaterThanOrEqual(riskOf(h).score);
      }),
    );
  });

  it('never goes down when the alert, Defender risk or exposure gets worse', () => {
    fc.assert(
      fc.property(
        hostArb,
        severity(ALERT_POINTS),
        severity(DEFENDER_RISK_POINTS),
        severity(EXPOSURE_POINTS),
        (h, a, d, e) => {
          const base = riskOf(h).score;
          if (points(ALERT_POINTS, a) >= points(ALERT_POINTS, h.alert))
            expect(riskOf({ ...h, alert: a }).score).toBeGreaterThanOrEqual(base);
          if (points(DEFENDER_RISK_POINTS, d) >= points(DEFENDER_RISK_POINTS, h.defender))
            expect(riskOf({ ...h, defender: d }).score).toBeGreaterThanOrEqual(base);
          if (points(EXPOSURE_POINTS, e) >= points(EXPOSURE_POINTS, h.exposure))
            expect(riskOf({ ...h, exposure: e }).score).toBeGreaterThanOrEqual(base);
        },
      ),
    );
  });

  it('depends on the findings only through their scores, not their order', () => {
    fc.assert(
      fc.property(hostArb, (h) => {
        expect(riskOf({ ...h, scores: [...h.scores].reverse() }).score).toBe(riskOf(h).score);
      }),
    );
  });
});
