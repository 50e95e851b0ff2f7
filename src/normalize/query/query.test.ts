import { describe, expect, it } from 'vitest';
import type { ExportKind } from '../../export/export-kinds.js';
import { QUERY_SPECS } from '../../export/query-fields.js';
import { compileQuery } from './compile-query.js';
import { parseQuery } from './parse-query.js';
import { QuerySyntaxError } from './query-ast.js';
import { parseQueryDate } from './query-date.js';

const findings = [
  {
    name: 'microsoft edge 1 CVE-2024-1234',
    cveId: 'CVE-2024-1234',
    severity: 5,
    score: 98,
    status: 'open',
    softwareName: 'edge',
    softwareVendor: 'microsoft',
    hostName: 'web01',
    exploitabilityLevel: 'ExploitIsVerified',
    lastFound: '2026-11-01T00:00:00.000Z',
  },
  {
    name: 'google chrome 2 CVE-2024-9999',
    cveId: 'CVE-2024-9999',
    severity: 4,
    score: 75,
    status: 'fixed',
    softwareName: 'chrome',
    softwareVendor: 'google',
    hostName: 'db01',
    exploitabilityLevel: 'ExploitIsInKit',
    lastFound: '2026-12-01T23:59:59.999Z',
  },
  {
    name: 'vim vim 9 CVE-2023-0001',
    cveId: 'CVE-2023-0001',
    severity: 2,
    score: 31,
    status: 'open',
    softwareName: 'vim',
    softwareVendor: 'vim',
    hostName: 'web02',
    exploitabilityLevel: 'NoExploit',
    lastFound: '2026-12-02T00:00:00.000Z',
  },
];
const hosts = [
  {
    name: 'web01',
    osPlatform: 'Windows11',
    tags: ['prod', 'web'],
    status: 'active',
    riskLevel: 'Critical',
    ipAddresses: ['10.0.0.1', 'fe80::12e1:e6bb:e298'],
    macAddresses: ['fa:56:a8:e2:09:7f'],
  },
  {
    name: 'db01',
    osPlatform: 'WindowsServer2022',
    tags: ['prod'],
    status: 'stale',
    riskLevel: 'High',
    ipAddresses: ['10.0.0.2'],
  },
  {
    name: "John's iPad (2)",
    osPlatform: 'iOS',
    tags: [],
    status: 'active',
    riskLevel: 'None',
    ipAddresses: [],
  },
];
const vulnerabilities = [
  { id: 'CVE-2024-1234', severity: 'Critical', exploitMaturityRank: 2, patchAvailable: true },
  { id: 'CVE-2024-9999', severity: 'High', exploitMaturityRank: 3, patchAvailable: false },
  { id: 'CVE-2023-0001', severity: 'Low', exploitMaturityRank: 0, patchAvailable: null },
  { id: 'CVE-2023-0002', severity: null, exploitMaturityRank: null, patchAvailable: null },
];
const alerts = [
  { id: 'a1', title: 'Suspicious shell', severity: 'High' },
  { id: 'a2', title: 'Odd login', severity: 'UnSpecified' },
  { id: 'a3', title: 'Port scan', severity: 'Informational' },
];

const DATA: Partial<Record<ExportKind, Array<Record<string, unknown>>>> = {
  findings,
  hosts,
  vulnerabilities,
  alerts,
};
const idOf = (r: Record<string, unknown>) => (r.cveId ?? r.id ?? r.name) as string;
const pick = (kind: ExportKind, query: string) =>
  DATA[kind]!.filter(compileQuery(query, QUERY_SPECS[kind])).map(idOf);

describe('the query language', () => {
  it.each([
    ['severity>=4 status:open', ['CVE-2024-1234']],
    // Keywords in any letter case are operators, never text to search.
    ['severity>=4 AND status:open', ['CVE-2024-1234']],
    ['severity>=4 and status:open', ['CVE-2024-1234']],
    ['severity:high or severity:critical', ['CVE-2024-1234', 'CVE-2024-9999']],
    ['severity:high OR severity:critical', ['CVE-2024-1234', 'CVE-2024-9999']],
    ['NOT status:fixed', ['CVE-2024-1234', 'CVE-2023-0001']],
    ['not status:fixed AND NOT severity:low', ['CVE-2024-1234']],
    ['severity>=high', ['CVE-2024-1234', 'CVE-2024-9999']],
    ['severity >= high', ['CVE-2024-1234', 'CVE-2024-9999']],
    ['severity=critical OR severity<3', ['CVE-2024-1234', 'CVE-2023-0001']],
    // NOT binds tighter than AND, AND tighter than OR.
    ['status:fixed OR severity:critical status:open', ['CVE-2024-1234', 'CVE-2024-9999']],
    ['(status:fixed OR severity:critical) AND status:open', ['CVE-2024-1234']],
    ['NOT status:fixed OR severity:high', ['CVE-2024-1234', 'CVE-2024-9999', 'CVE-2023-0001']],
    ['NOT (status:fixed OR severity:high)', ['CVE-2024-1234', 'CVE-2023-0001']],
    ['cve:CVE-2024-1234', ['CVE-2024-1234']],
    ['-status:fixed', ['CVE-2024-1234', 'CVE-2023-0001']],
    ['status!=fixed vendor=microsoft', ['CVE-2024-1234']],
    ['(software:edge OR software:vim) host:web', ['CVE-2024-1234', 'CVE-2023-0001']],
    ['chrome', ['CVE-2024-9999']],
    ['"google chrome"', ['CVE-2024-9999']],
    ['"and"', []],
    ['source:Defender score>50', ['CVE-2024-1234', 'CVE-2024-9999']],
    // Exploit words: `:` exactly that maturity, `>=` that or stronger; raw Defender values too.
    ['exploit:verified', ['CVE-2024-1234']],
    ['exploit>=verified', ['CVE-2024-1234', 'CVE-2024-9999']],
    ['exploit:ExploitIsInKit', ['CVE-2024-9999']],
    ['exploit:none', ['CVE-2023-0001']],
    ['exploit<public', ['CVE-2023-0001']],
    // Dates: a plain date is its whole day, a time its minute, second or millisecond.
    ['lastFound>=2026-11-01', ['CVE-2024-1234', 'CVE-2024-9999', 'CVE-2023-0001']],
    ['lastFound<2026-12-02T00:00:00Z', ['CVE-2024-1234', 'CVE-2024-9999']],
    ['lastFound<2026-12-02T00:00Z', ['CVE-2024-1234', 'CVE-2024-9999']],
    ['lastFound<2026-12-02T00:00:00.000Z', ['CVE-2024-1234', 'CVE-2024-9999']],
    ['lastFound<2026-12-02T01:00:00+01:00', ['CVE-2024-1234', 'CVE-2024-9999']],
    ['lastFound<=2026-12-01T18:59:59-0500', ['CVE-2024-1234', 'CVE-2024-9999']],
    ['lastFound:2026-12-01', ['CVE-2024-9999']],
    ['lastFound>2026-12-01', ['CVE-2023-0001']],
    ['lastFound<=2026-12-01', ['CVE-2024-1234', 'CVE-2024-9999']],
    ['lastFound=2026-12-02T00:00:00Z', ['CVE-2023-0001']],
    ['lastFound!=2026-12-01', ['CVE-2024-1234', 'CVE-2023-0001']],
    ['', ['CVE-2024-1234', 'CVE-2024-9999', 'CVE-2023-0001']],
  ])('findings: %s', (query, expected) => {
    expect(pick('findings', query)).toEqual(expected);
  });

  it.each([
    ['tag:prod', ['web01', 'db01']],
    ['os:Windows11', ['web01']],
    ['os:Windows', ['web01', 'db01']],
    ['os=Windows', []],
    ['tag:prod -status:stale', ['web01']],
    ['ip:10.0.0.2', ['db01']],
    ['ip:fe80::12e1:e6bb:e298', ['web01']],
    ['mac=FA:56:A8:E2:09:7F', ['web01']],
    ['"ipad (2)"', ["John's iPad (2)"]],
    ['risk:critical', ['web01']],
    ['risk>=high', ['web01', 'db01']],
    ['risk:none', ["John's iPad (2)"]],
    ['risk<=4', ['db01', "John's iPad (2)"]],
  ])('hosts: %s', (query, expected) => {
    expect(pick('hosts', query)).toEqual(expected);
  });

  it.each([
    ['severity:critical', ['CVE-2024-1234']],
    ['severity>=high', ['CVE-2024-1234', 'CVE-2024-9999']],
    ['severity>=4', ['CVE-2024-1234', 'CVE-2024-9999']],
    ['exploit:verified', ['CVE-2024-1234']],
    ['exploit>=verified', ['CVE-2024-1234', 'CVE-2024-9999']],
    ['maturity>=verified', ['CVE-2024-1234', 'CVE-2024-9999']],
    ['exploit!=verified', ['CVE-2024-9999', 'CVE-2023-0001', 'CVE-2023-0002']],
    ['patch:true', ['CVE-2024-1234']],
    ['patch=no', ['CVE-2024-9999']],
    ['patch!=true', ['CVE-2024-9999', 'CVE-2023-0001', 'CVE-2023-0002']],
  ])('vulnerabilities: %s', (query, expected) => {
    expect(pick('vulnerabilities', query)).toEqual(expected);
  });

  it.each([
    ['severity:high', ['a1']],
    ['severity:informational', ['a2', 'a3']],
    ['severity<=low', ['a2', 'a3']],
  ])('alerts: %s', (query, expected) => {
    expect(pick('alerts', query)).toEqual(expected);
  });

  it.each([
    ['colour:red', /unknown field "colour"; fields: source, severity/],
    ['severty:high', /unknown field "severty" \(did you mean severity\?\)/],
    ['lastfond<2026-01-01', /did you mean lastFound\?/],
    ['severity>=very', /"severity" needs a number 0 to 5 or a severity word \(none, informational, low/],
    ['severity:hihg', /did you mean severity:high\?/],
    ['severity>=9', /"severity" needs a number 0 to 5/],
    [
      'exploit:verifed',
      /"exploit" needs a number 0 to 3 or an exploit maturity word .*did you mean exploit:verified\?/,
    ],
    ['severity=>4', /has no operator "=>"; did you mean "severity>="\?/],
    ['severity=<4', /did you mean "severity<="\?/],
    ['severity==4', /did you mean "severity="\?/],
    ['severity<>4', /did you mean "severity!="\?/],
    ['severity = >4', /stray ">"; did you mean "severity>="\?/],
    ['severity:>4', /did you mean "severity>"\?/],
    ['!status:open', /"!" is not an operator: negate a term with NOT or "-"/],
    ['severity>=4 && status:open', /"&&" is not an operator; write AND/],
    ['severity>=4 || status:open', /"\|\|" is not an operator; write OR/],
    ['severity>=4 ANDD status:open', /"ANDD" is not an operator; did you mean AND\?.*quote it/],
    ['severity>=4 andd status:open', /did you mean AND\?/],
    ['severity>=4 ORR status:open', /did you mean OR\?/],
    ['NOTT status:open', /did you mean NOT\?/],
    ['AND status:open', /AND must come between two terms/],
    ['status:open AND', /AND must be followed by a term/],
    ['status:open AND OR status:fixed', /AND must be followed by a term, not OR/],
    ['status:open OR', /OR must be followed by a term/],
    ['OR status:open', /OR must come between two terms/],
    ['status:open NOT', /NOT must be followed by a term/],
    ['(status:open AND)', /AND must be followed by a term, not "\)"/],
    ['()', /empty parentheses/],
    ['not:open', /unknown field "not"/],
    ['status:open OR=1', /unknown field "OR"/],
    ['(', /the query ends where a term was expected/],
    ['status:open (', /the query ends where a term was expected/],
    ['cve>CVE-1', /"cve" is text: use ":", "=" or "!=", not ">"/],
    ['status:', /"status:" needs a value/],
    ['status:(open OR fixed)', /a value cannot be a group: write \(status:a OR status:b\)/],
    ['(status:open', /missing "\)"/],
    ['status:open)', /unexpected "\)"/],
    ['"open', /unterminated quoted text/],
    ['>=4', /needs a field name before it/],
    ['"severity":high', /a field name is not quoted/],
    ['lastFound>yesterday', /needs a date \(2026-11-01\) or a time/],
    ['lastFound>2026-02-30', /needs a date/],
    ['lastFound>2026-11-01T24:00Z', /needs a date/],
    ['lastFound>2026-11-01Z', /needs a date/],
    ['score>high', /"score" needs a number/],
    ['update:maybe', /"update" needs true or false/],
    ['update>true', /"update" is yes or no/],
    [`${'('.repeat(100)}x${')'.repeat(100)}`, /nested more than 64 deep/],
    [`${'-'.repeat(100)}x`, /nested more than 64 deep/],
  ])('refuses %s with a clear message', (query, message) => {
    const run = () => compileQuery(query, QUERY_SPECS.findings);
    expect(run).toThrow(QuerySyntaxError);
    expect(run).toThrow(message);
  });

  it.each([
    // Words that only resemble keywords stay text.
    ['an', []],
    ['ann', []],
    ['note', []],
    ['for', []],
    ['Android', []],
    ['AT&T', []],
  ])('searches %s as text', (query, expected) => {
    expect(pick('findings', query)).toEqual(expected);
  });

  it('parses into a tree with positions, NOT tighter than AND tighter than OR', () => {
    expect(parseQuery('severity>=4 -tag:lab')).toEqual({
      kind: 'and',
      items: [
        { kind: 'field', field: 'severity', op: '>=', value: '4', position: 0 },
        { kind: 'not', item: { kind: 'field', field: 'tag', op: ':', value: 'lab', position: 13 } },
      ],
    });
    const a = { kind: 'text', value: 'a', position: 0 };
    expect(parseQuery('a or NOT b And c')).toEqual({
      kind: 'or',
      items: [
        a,
        {
          kind: 'and',
          items: [
            { kind: 'not', item: { kind: 'text', value: 'b', position: 9 } },
            { kind: 'text', value: 'c', position: 15 },
          ],
        },
      ],
    });
  });

  it('reads dates and times as the span they name', () => {
    const day = Date.parse('2026-12-02T00:00:00Z');
    expect(parseQueryDate('2026-12-02')).toEqual({ start: day, end: day + 86_400_000 });
    expect(parseQueryDate('2026-12-02T00:00Z')).toEqual({ start: day, end: day + 60_000 });
    expect(parseQueryDate('2026-12-02T00:00:00Z')).toEqual({ start: day, end: day + 1000 });
    expect(parseQueryDate('2026-12-02T00:00:00.5Z')).toEqual({ start: day + 500, end: day + 501 });
    expect(parseQueryDate('2026-12-02T02:00:00+02:00')).toEqual({ start: day, end: day + 1000 });
    expect(parseQueryDate('2026-12-01T19:00-0500')).toEqual({ start: day, end: day + 60_000 });
    expect(parseQueryDate('2026-12-02T00:00:00')).toEqual({ start: day, end: day + 1000 });
    expect(parseQueryDate('2024-02-29')?.start).toBe(Date.parse('2024-02-29T00:00:00Z'));
    for (const bad of ['2025-02-29', '2026-13-01', '2026-1-01', '26-01-01', '2026-01-01T1:00Z', 'today']) {
      expect(parseQueryDate(bad)).toBeUndefined();
    }
  });
});

describe('docs/queries.md', () => {
  it('names every query field of every kind', async () => {
    const { readFileSync } = await import('node:fs');
    const doc = readFileSync(new URL('../../../docs/queries.md', import.meta.url), 'utf8');
    for (const [kind, spec] of Object.entries(QUERY_SPECS)) {
      const section = doc.slice(doc.indexOf(`**${kind}**:`));
      const paragraph = section.slice(0, section.indexOf('\n\n'));
      for (const name of Object.keys(spec.fields)) {
        if (name !== 'source') expect(paragraph, `${kind}.${name}`).toContain(`\`${name}\``);
      }
      for (const field of spec.textFields) expect(doc).toContain(`\`${field}\``);
    }
  });
});
