import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXPORT_KINDS } from '../../src/export/export-kinds.js';
import { QUERY_SPECS } from '../../src/export/query-fields.js';
import { compileQuery } from '../../src/normalize/query/compile-query.js';
import { QuerySyntaxError } from '../../src/normalize/query/query-ast.js';
import { generatedQuery } from './query-oracle.js';

/** Records with a value of every shape an export holds, and one with nothing at all. */
const RECORDS: Array<Record<string, unknown>> = [
  {},
  {
    id: 1,
    name: 'web01 "quoted" (x)',
    cveId: 'CVE-2024-1234',
    severity: 5,
    score: 98.5,
    status: 'open',
    riskLevel: 'Critical',
    exploitabilityLevel: 'ExploitIsVerified',
    exploitMaturityRank: 2,
    lastFound: '2026-11-01T00:00:00.000Z',
    tags: ['prod', 'web'],
    ipAddresses: ['10.0.0.1', 'fe80::1'],
    patchAvailable: true,
    affectedSoftware: [{ name: 'edge' }],
    cvssV3Components: { AV: 'N' },
  },
  {
    id: 2,
    name: null,
    severity: 'UnSpecified',
    riskLevel: 'odd',
    exploitabilityLevel: 'Unknown',
    lastFound: 'not a date',
    tags: [],
    patchAvailable: null,
    affectedSoftware: null,
    cvssV3Components: null,
  },
];

/** Pieces of queries: keywords, look-alikes, operators, values and every character that means something. */
const PIECES = [
  ...'abcXYZ019 :=!<>()"\\-&|.,+*?\t\n',
  'AND',
  'and',
  'Or',
  'NOT',
  'ANDD',
  '&&',
  '||',
  'severity',
  'severty',
  'status',
  'lastFound',
  'exploit',
  'tag',
  '>=',
  '=>',
  '!=',
  'high',
  'verified',
  '2026-12-02T00:00:00Z',
  '2026-12-02',
  '+01:00',
  'fe80::1',
  'é',
  '😀',
];

const garbage = fc.oneof(
  fc.string({ unit: fc.constantFrom(...PIECES), maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ maxLength: 40 }),
);

/** A well-formed query with a few characters dropped, doubled or replaced. */
const damaged = fc
  .tuple(
    generatedQuery('findings', QUERY_SPECS.findings, RECORDS),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(...PIECES, '')), { minLength: 1, maxLength: 3 }),
  )
  .map(([q, edits]) =>
    edits.reduce((s, [at, piece]) => {
      const i = s.length === 0 ? 0 : at % s.length;
      return s.slice(0, i) + piece + s.slice(i + 1);
    }, q.text),
  );

/** Either a predicate that answers true or false for every record, or a refusal that says where. */
function acceptedOrRefused(query: string): void {
  for (const kind of EXPORT_KINDS) {
    let where: ((r: Record<string, unknown>) => boolean) | undefined;
    try {
      where = compileQuery(query, QUERY_SPECS[kind]);
    } catch (err) {
      expect(err, `${kind}: ${JSON.stringify(query)}`).toBeInstanceOf(QuerySyntaxError);
      const at = (err as QuerySyntaxError).position;
      expect(at).toBeGreaterThanOrEqual(0);
      expect(at).toBeLessThanOrEqual(query.length);
      expect((err as Error).message).toMatch(/\S.* \(at character \d+\)$/s);
      continue;
    }
    for (const r of RECORDS) expect(typeof where(r)).toBe('boolean');
  }
}

describe('any query string', () => {
  it('is accepted or refused with a usage error, never a crash', () => {
    fc.assert(
      fc.property(garbage, (q) => acceptedOrRefused(q)),
      { numRuns: 400 },
    );
  });

  it('a damaged well-formed query is accepted or refused, never a crash', () => {
    fc.assert(
      fc.property(damaged, (q) => acceptedOrRefused(q)),
      { numRuns: 300 },
    );
  });

  it('every generated well-formed query is accepted', () => {
    fc.assert(
      fc.property(generatedQuery('hosts', QUERY_SPECS.hosts, RECORDS), (q) => {
        expect(() => compileQuery(q.text, QUERY_SPECS.hosts), q.text).not.toThrow();
      }),
      { numRuns: 200 },
    );
  });
});
