import { describe, expect, it } from 'vitest';
import { changedKeys } from '../../src/store/derive/scoring-inputs.js';

describe('changedKeys: what a run changed among the scoring inputs', () => {
  it('finds added, removed and changed device values, null included', () => {
    const before = new Map<string, string | null>([
      ['same', 'High'],
      ['nulled', 'Low'],
      ['stillNull', null],
      ['gone', 'Normal'],
      ['goneNull', null],
    ]);
    const after = new Map<string, string | null>([
      ['same', 'High'],
      ['nulled', null],
      ['stillNull', null],
      ['new', 'Low'],
      ['newNull', null],
    ]);
    expect([...changedKeys(before, after)].sort()).toEqual(['gone', 'goneNull', 'new', 'newNull', 'nulled']);
  });

  it('compares CVE factors by content, not by object', () => {
    const factors = (epss: number | null) => ({ cvssV3: 7.5, severity: 'High', epss, exploitLevel: 0 });
    const before = new Map([
      ['CVE-1', factors(0.1)],
      ['CVE-2', factors(0.2)],
    ]);
    const after = new Map([
      ['CVE-1', factors(0.1)],
      ['CVE-2', factors(null)],
    ]);
    expect([...changedKeys(before, after)]).toEqual(['CVE-2']);
  });
});
