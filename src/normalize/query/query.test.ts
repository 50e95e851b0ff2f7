import { describe, expect, it } from 'vitest';
import { QUERY_SPECS } from '../../export/query-fields.js';
import { compileQuery } from './compile-query.js';
import { parseQuery } from './parse-query.js';

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
    lastFound: '2026-10-01T00:00:00.000Z',
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
    lastFound: '2026-11-02T00:00:00.000Z',
  },
];
const hosts = [
  {
    name: 'web01',
    osPlatform: 'Windows11',
    tags: ['prod', 'web'],
    status: 'active',
    ipAddresses: ['10.0.0.1'],
  },
  {
    name: 'db01',
    osPlatform: 'WindowsServer2022',
    tags: ['prod'],
    status: 'stale',
    ipAddresses: ['10.0.0.2'],
  },
  { name: "John's iPad (2)", osPlatform: 'iOS', tags: [], status: 'active', ipAddresses: [] },
];

const pick = (query: string, rows: Array<Record<string, unknown>>, kind: 'findings' | 'hosts') =>
  rows.filter(compileQuery(query, QUERY_SPECS[kind]!)).map((r) => (kind === 'findings' ? r.cveId : r.name));

describe('the query language (issue 4, item 7)', () => {
  it.each([
    ['severity>=4 status:open', ['CVE-2024-1234']],
    ['severity>=high', ['CVE-2024-1234', 'CVE-2024-9999']],
    ['severity=critical OR severity<3', ['CVE-2024-1234', 'CVE-2023-0001']],
    ['cve:CVE-2024-1234', ['CVE-2024-1234']],
    ['-status:fixed', ['CVE-2024-1234', 'CVE-2023-0001']],
    ['status!=fixed vendor=microsoft', ['CVE-2024-1234']],
    ['(software:edge OR software:vim) host:web', ['CVE-2024-1234', 'CVE-2023-0001']],
    ['chrome', ['CVE-2024-9999']],
    ['"google chrome"', ['CVE-2024-9999']],
    ['source:Defender score>50', ['CVE-2024-1234', 'CVE-2024-9999']],
    ['lastFound>=2026-11-01', ['CVE-2024-1234', 'CVE-2023-0001']],
    ['', ['CVE-2024-1234', 'CVE-2024-9999', 'CVE-2023-0001']],
  ])('findings: %s', (query, expected) => {
    expect(pick(query, findings, 'findings')).toEqual(expected);
  });

  it.each([
    ['tag:prod', ['web01', 'db01']],
    ['os:Windows11', ['web01']],
    ['os:Windows', ['web01', 'db01']],
    ['os=Windows', []],
    ['tag:prod -status:stale', ['web01']],
    ['ip:10.0.0.2', ['db01']],
    ['"ipad (2)"', ["John's iPad (2)"]],
  ])('hosts: %s', (query, expected) => {
    expect(pick(query, hosts, 'hosts')).toEqual(expected);
  });

  it.each([
    ['colour:red', /unknown field "colour"; fields: source, severity/],
    ['severity>=very', /"severity" needs a number or one of critical, high/],
    ['cve>CVE-1', /"cve" is text: use ":", "=" or "!=", not ">"/],
    ['status:', /"status:" needs a value/],
    ['(status:open', /missing "\)"/],
    ['status:open)', /unexpected "\)"/],
    ['"open', /unterminated quoted text/],
    ['>=4', /needs a field name before it/],
    ['lastFound>yesterday', /needs a date/],
    ['status:open OR', /ends where a term was expected/],
  ])('refuses %s with a clear message', (query, message) => {
    expect(() => compileQuery(query, QUERY_SPECS.findings!)).toThrow(message);
  });

  it('parses into a tree with positions', () => {
    expect(parseQuery('severity>=4 -tag:lab')).toEqual({
      kind: 'and',
      items: [
        { kind: 'field', field: 'severity', op: '>=', value: '4', position: 0 },
        { kind: 'not', item: { kind: 'field', field: 'tag', op: ':', value: 'lab', position: 13 } },
      ],
    });
  });
});
