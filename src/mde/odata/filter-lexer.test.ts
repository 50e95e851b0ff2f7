import { describe, expect, it } from 'vitest';
import { tokenize } from './filter-lexer.js';
import { ODataError } from './odata-error.js';

const kinds = (source: string) => tokenize(source).map((t) => t.kind);

describe('tokenize', () => {
  it('splits a lambda into tokens, keeping positions', () => {
    const tokens = tokenize("machineTags/any(tag: tag eq 'ExampleTag')");
    expect(tokens.map((t) => [t.kind, t.text, t.pos])).toEqual([
      ['identifier', 'machineTags', 0],
      ['/', '/', 11],
      ['identifier', 'any', 12],
      ['(', '(', 15],
      ['identifier', 'tag', 16],
      [':', ':', 19],
      ['identifier', 'tag', 21],
      ['identifier', 'eq', 25],
      ['string', "'ExampleTag'", 28],
      [')', ')', 40],
      ['end', '', 41],
    ]);
  });

  it.each([
    ["'it''s'", "it's"],
    ["''", ''],
    ["''''", "'"],
    ["'a b  c'", 'a b  c'],
  ])('reads the string literal %s', (source, value) => {
    const [token] = tokenize(source);
    expect(token).toMatchObject({ kind: 'string', value });
  });

  it.each([
    ['80fe8ff8-2624-418e-9591-41f0491218f9', '80fe8ff8-2624-418e-9591-41f0491218f9'],
    ['FD2E4D29-7072-4195-AAA5-1AF139B78028', 'fd2e4d29-7072-4195-aaa5-1af139b78028'],
  ])('reads the unquoted GUID %s (even when it starts with letters)', (source, value) => {
    expect(tokenize(source)[0]).toMatchObject({ kind: 'guid', value });
  });

  it.each([
    '2018-08-01Z',
    '2019-11-22T00:00:00Z',
    '2021-01-26T20:33:59.2Z',
    '2019-11-22T00:00:00+02:00',
    '2018-08-01',
  ])('reads the unquoted datetime %s', (source) => {
    expect(tokenize(source)[0]).toMatchObject({ kind: 'datetime', text: source });
  });

  it.each([
    ['140', 140, true],
    ['-5', -5, true],
    ['4.3', 4.3, false],
    ['1e3', 1000, true],
  ])('reads the number %s', (source, value, integer) => {
    expect(tokenize(source)[0]).toMatchObject({ kind: 'number', value, integer });
  });

  it('skips any run of whitespace, including tabs and newlines', () => {
    expect(kinds("  riskScore\t eq\n  'High'  ")).toEqual(['identifier', 'identifier', 'string', 'end']);
  });

  it.each([
    ["name eq 'abc", /unterminated string literal at position 8 in 'name eq 'abc'/],
    ["name eq 'it''", /unterminated string literal at position 8/],
    ['name eq #', /character '#' is not valid at position 8/],
    ['id eq 1e5bc9d7e413ddd7902c2932e418702b84d0cc07', /Syntax error at position 9/],
    ['lastSeen gt 2018-13-01Z', /Unrecognized 'Edm.DateTimeOffset' literal '2018-13-01Z'/],
  ])('rejects %s', (source, message) => {
    const run = () => tokenize(source);
    expect(run).toThrow(ODataError);
    expect(run).toThrow(message);
  });
});
