import { describe, expect, it } from 'vitest';
import { sampleFinding as finding } from '../../../test/helpers/sample-finding.js';
import { encodeFinding, encodeRow, encodeRows, toSnapshotRow } from '../../../test/helpers/snapshot-rows.js';
import type { NormalizedFinding } from '../../normalize/model.js';
import {
  decodeRows,
  EncodedRowBuffer,
  FindingEncoder,
  joinRows,
  ROW,
  type SnapshotRow,
} from './snapshot-row-codec.js';

const WIDTH = Object.keys(ROW).length;

function row(overrides: Partial<Record<keyof typeof ROW, string | number | null>> = {}): SnapshotRow {
  const r: SnapshotRow = Array.from({ length: WIDTH }, (_, i) => `field ${i}`);
  r[ROW.severity] = 4;
  r[ROW.score] = 87.5;
  r[ROW.hostId] = 12;
  r[ROW.securityUpdateAvailable] = 1;
  for (const [name, value] of Object.entries(overrides)) r[ROW[name as keyof typeof ROW]] = value ?? null;
  return r;
}

describe('snapshot row codec', () => {
  it.each([
    ['plain text and numbers', row()],
    ['nulls in text and number fields', row({ exploitabilityLevel: null, score: null, hostId: null })],
    ['empty strings stay empty, not null', row({ softwareVersion: '', recommendationReference: '' })],
    ['zero and negative numbers', row({ score: 0, severity: -1, securityUpdateAvailable: 0 })],
    ['text holding the separators', row({ softwareName: 'a\u0001b\u0002c\u0003d\u0000e', packed: '\u0003' })],
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

describe('encodeFinding', () => {
  const CONTROL = 'a\u0000b\u0001c\u0002d\u0003e\u0004\n';
  it.each([
    ['a plain finding', finding(), 12],
    ['no host', finding(), null],
    [
      'nulls and a false flag',
      finding({
        sourceSeverity: null,
        firstSeen: null,
        securityUpdateAvailable: false,
        cvssScore: null,
        rbacGroupId: null,
        rbacGroupName: null,
      }),
      1,
    ],
    ['an unknown flag', finding({ securityUpdateAvailable: null }), 1],
    [
      'control characters in text, lists, extra and custom attributes',
      finding({
        machineId: CONTROL,
        findingKey: CONTROL,
        softwareName: CONTROL,
        name: `\u0003${CONTROL}`,
        rbacGroupName: '\u0000',
        diskPaths: [CONTROL, 'b'],
        registryPaths: [CONTROL],
        extra: { [CONTROL]: CONTROL, n: 1 },
        customAttributes: { tag: CONTROL },
      }),
      2,
    ],
    ['unicode', finding({ softwareName: 'Ωmega — 東京 🚀', extra: { x: '\ud800' } }), 3],
  ])('writes the line encodeRow(toSnapshotRow()) writes, and it decodes back: %s', (_, f, hostId) => {
    const line = encodeFinding(f, hostId);
    expect(line).toBe(encodeRow(toSnapshotRow(f, hostId)));
    expect([...decodeRows(joinRows([line, line]))]).toEqual([
      toSnapshotRow(f, hostId),
      toSnapshotRow(f, hostId),
    ]);
  });

  it('decodes control characters back to the original text', () => {
    const f = finding({ softwareName: CONTROL, extra: { k: CONTROL } });
    const [decoded] = decodeRows(encodeFinding(f, 5));
    expect(decoded![ROW.softwareName]).toBe(CONTROL);
    expect(JSON.parse(decoded![ROW.packed] as string).extra).toEqual({ k: CONTROL });
  });
});

describe('EncodedRowBuffer', () => {
  it.each([0, 1, 511, 512, 513, 1024, 1500])('gives joinRows of %i lines added', (n) => {
    const lines = Array.from({ length: n }, (_, i) => encodeFinding(finding({ findingKey: `k${i}` }), i));
    const buffer = new EncodedRowBuffer();
    for (const line of lines) buffer.add(line);
    expect(buffer.size).toBe(n);
    expect(buffer.take()).toBe(joinRows(lines));
    expect(buffer.size).toBe(0);
    expect(buffer.take()).toBe('');
  });

  it('forgets what was added on clear, pieces included', () => {
    const buffer = new EncodedRowBuffer();
    for (let i = 0; i < 700; i++) buffer.add(`old ${i}`);
    buffer.clear();
    buffer.add('new');
    expect(buffer.size).toBe(1);
    expect(buffer.take()).toBe('new');
  });
});

describe('FindingEncoder', () => {
  it('writes what encodeRow(toSnapshotRow()) writes for a run of rows sharing, changing and mutating paths', () => {
    const shared = ['C:\\app\\a.exe'];
    const mutable = ['C:\\x.exe', 'D:\\y.exe'];
    const rows: NormalizedFinding[] = [
      finding({ diskPaths: shared, registryPaths: ['HKLM\\a'] }),
      finding({ diskPaths: [...shared], registryPaths: ['HKLM\\a'] }),
      finding({ diskPaths: shared, registryPaths: [] }),
      finding({ diskPaths: ['C:\\app\\b.exe'], registryPaths: ['HKLM\\a'] }),
      finding({ diskPaths: mutable, registryPaths: ['HKLM\\a', 'HKLM\\"quoted"'] }),
      finding({ diskPaths: [], registryPaths: ['HKLM\\a', 'HKLM\\"quoted"'] }),
      finding({ diskPaths: ['C:\\app\\b.exe', 'C:\\app\\c.exe'], registryPaths: ['\u0001'] }),
      finding({ diskPaths: ['C:\\app\\b.exe'], registryPaths: ['\u0001'] }),
    ];
    const encoder = new FindingEncoder();
    const check = (f: NormalizedFinding) => expect(encoder.encode(f, 9)).toBe(encodeRow(toSnapshotRow(f, 9)));
    for (const f of rows) check(f);
    // The caller's array changed in place since it was last encoded: the memo must not answer.
    check(finding({ diskPaths: mutable }));
    mutable[1] = 'E:\\changed.exe';
    check(finding({ diskPaths: mutable }));
    check(finding({ diskPaths: [1, 2] as unknown as string[] }));
    check(finding({ diskPaths: [1, 2] as unknown as string[] }));
  });
});
