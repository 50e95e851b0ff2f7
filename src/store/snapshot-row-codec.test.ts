import { describe, expect, it } from 'vitest';
import { decodeRows, encodeRows, ROW, type SnapshotRow } from './snapshot-row-codec.js';

const WIDTH = Object.keys(ROW).length;

function row(overrides: Partial<Record<keyof typeof ROW, string | number | null>> = {}): SnapshotRow {
  const r: SnapshotRow = Array.from({ length: WIDTH }, (_, i) => `field ${i}`);
  r[ROW.severity] = 4;
  r[ROW.score] = 87.5;
  r[ROW.hostId] = 12;
  r[ROW.securityUpdateAvailable] = 1;
  r[ROW.rbacGroupId] = 7;
  r[ROW.cvssScore] = 9.8;
  for (const [name, value] of Object.entries(overrides)) r[ROW[name as keyof typeof ROW]] = value ?? null;
  return r;
}

describe('snapshot row codec', () => {
  it.each([
    ['plain text and numbers', row()],
    ['nulls in text and number fields', row({ sourceSeverity: null, cvssScore: null, hostId: null })],
    ['empty strings stay empty, not null', row({ softwareVersion: '', rbacGroupName: '' })],
    ['zero and negative numbers', row({ score: 0, rbacGroupId: -1, securityUpdateAvailable: 0 })],
    ['text holding the separators', row({ name: 'a\u0001b\u0002c\u0003d\u0000e', extra: '\u0003' })],
    ['text that looks like the null marker', row({ recommendationReference: '\u0000' })],
    ['unicode', row({ softwareName: 'Ωmega — 東京 🚀' })],
  ])('round-trips %s', (_, r) => {
    expect([...decodeRows(encodeRows([r, row()]))]).toEqual([r, row()]);
  });

  it('encodes no rows as nothing', () => {
    expect([...decodeRows(encodeRows([]))]).toEqual([]);
  });

  it('refuses a row with the wrong number of fields', () => {
    expect(() => [...decodeRows('a\u0001b')]).toThrow(/has 2 fields/);
  });
});
