import { describe, expect, it } from 'vitest';
import type { FilterNode } from './filter-ast.js';
import { parseFilter } from './filter-parser.js';
import { ODataError } from './odata-error.js';

/** A compact rendering of the tree, so expected shapes read like the filter. */
function show(node: FilterNode): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return `(${node.kind} ${show(node.left)} ${show(node.right)})`;
    case 'not':
      return `(not ${show(node.operand)})`;
    case 'compare':
      return `(${node.op} ${show(node.left)} ${show(node.right)})`;
    case 'call':
      return `${node.name}(${node.args.map(show).join(', ')})`;
    case 'member':
      return node.path.join('/');
    case 'literal': {
      const l = node.literal;
      if (l.type === 'null') return 'null';
      if (l.type === 'datetime') return `@${new Date(l.value.ms).toISOString()}+${l.value.ticks}`;
      if (l.type === 'string') return `'${l.value}'`;
      return `${l.type}:${String(l.value)}`;
    }
    case 'lambda':
      return `${node.path.join('/')}/${node.operator}(${node.variable ?? ''}${node.body ? `: ${show(node.body)}` : ''})`;
  }
}

describe('parseFilter', () => {
  it.each([
    // every example of docs/mde-api.md#machine-filters, #alerts, #machine-actions
    ["riskScore eq 'High'", "(eq riskScore 'High')"],
    ["healthStatus ne 'Active'", "(ne healthStatus 'Active')"],
    ['lastSeen gt 2018-08-01Z', '(gt lastSeen @2018-08-01T00:00:00.000Z+0)'],
    ['lastUpdateTime ge 2019-11-22T00:00:00Z', '(ge lastUpdateTime @2019-11-22T00:00:00.000Z+0)'],
    [
      "requestor eq 'x' and type eq 'RunAntiVirusScan'",
      "(and (eq requestor 'x') (eq type 'RunAntiVirusScan'))",
    ],
    ["startswith(computerDnsName,'mymachine')", "startswith(computerDnsName, 'mymachine')"],
    ["machineTags/any(tag: tag eq 'ExampleTag')", "machineTags/any(tag: (eq tag 'ExampleTag'))"],
    ['rbacGroupId eq 140', '(eq rbacGroupId number:140)'],
    [
      "exposureLevel eq 'Medium' and (healthStatus eq 'Active' or healthStatus eq 'Inactive')",
      "(and (eq exposureLevel 'Medium') (or (eq healthStatus 'Active') (eq healthStatus 'Inactive')))",
    ],
    ["status ne 'Resolved'", "(ne status 'Resolved')"],
    // precedence and associativity
    ['a eq 1 or b eq 2 and c eq 3', '(or (eq a number:1) (and (eq b number:2) (eq c number:3)))'],
    ['a eq 1 and b eq 2 and c eq 3', '(and (and (eq a number:1) (eq b number:2)) (eq c number:3))'],
    ['a eq 1 or b eq 2 or c eq 3', '(or (or (eq a number:1) (eq b number:2)) (eq c number:3))'],
    ['not (a eq 1) and b eq 2', '(and (not (eq a number:1)) (eq b number:2))'],
    // OData precedence: not binds tighter than eq, so this is (not a) eq 1; the binder refuses it
    ['not a eq 1', '(eq (not a) number:1)'],
    ["not startswith(a,'x')", "(not startswith(a, 'x'))"],
    ['((a eq 1))', '(eq a number:1)'],
    // case-insensitive keywords, extra whitespace
    ["riskScore  EQ   'High'  AND  NOT(x Ne null)", "(and (eq riskScore 'High') (not (ne x null)))"],
    ['x eq TRUE or y eq False', '(or (eq x bool:true) (eq y bool:false))'],
    // literals
    ["name eq 'O''Brien'", "(eq name 'O'Brien')"],
    ['cvssV3 ge 7.5', '(ge cvssV3 number:7.5)'],
    ['id eq -3', '(eq id number:-3)'],
    [
      'aadDeviceId eq 80fe8ff8-2624-418e-9591-41f0491218f9',
      '(eq aadDeviceId guid:80fe8ff8-2624-418e-9591-41f0491218f9)',
    ],
    [
      "aadDeviceId eq '80fe8ff8-2624-418e-9591-41f0491218f9'",
      "(eq aadDeviceId '80fe8ff8-2624-418e-9591-41f0491218f9')",
    ],
    ['t lt 2021-01-26T20:33:59.2Z', '(lt t @2021-01-26T20:33:59.200Z+0)'],
    ['t le 2019-11-22T02:00:00+02:00', '(le t @2019-11-22T00:00:00.000Z+0)'],
    ["'High' eq riskScore", "(eq 'High' riskScore)"],
    // lambdas: any variable name, any(), nested boolean body
    [
      "machineTags/ANY(x: x eq 'a' or startswith(x, 'b'))",
      "machineTags/any(x: (or (eq x 'a') startswith(x, 'b')))",
    ],
    ['machineTags/any()', 'machineTags/any()'],
    ["machineTags/all(t: t ne 'a')", "machineTags/all(t: (ne t 'a'))"],
    ['relatedUser/userName eq null', '(eq relatedUser/userName null)'],
    ["CONTAINS(computerDnsName, 'x')", "contains(computerDnsName, 'x')"],
  ])('%s', (source, expected) => {
    expect(show(parseFilter(source))).toBe(expected);
  });

  it.each([
    ['', /Expression expected at position 0 in ''/],
    ['   ', /Expression expected at position 3/],
    ['riskScore eq', /Expression expected at position 12 in 'riskScore eq'/],
    ["riskScore eq 'High' and", /Expression expected at position 23/],
    ["(riskScore eq 'High'", /'\)' or operator expected at position 20/],
    ["riskScore eq 'High')", /'\)' or operator expected at position 19/],
    ["riskScore 'High'", /'\)' or operator expected at position 10/],
    ["riskScore eq 'High' riskScore", /'\)' or operator expected at position 20/],
    ["startswith(computerDnsName 'x')", /'\)' or ',' expected at position 27/],
    ["machineTags/any(tag tag eq 'x')", /':' expected at position 20/],
    ["machineTags/any(: tag eq 'x')", /Range variable expected at position 16/],
    ['a eq ,', /Syntax error at position 5/],
    ["a/ 'x'", /Expression expected at position 3/],
    ["riskScore eq 'High", /unterminated string literal at position 13/],
  ])('rejects %j', (source, message) => {
    try {
      parseFilter(source);
      expect.fail('should have thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(ODataError);
      const e = err as ODataError;
      expect(e.code).toBe('ODataError');
      expect(e.status).toBe(400);
      expect(e.message).toMatch(/^Invalid filter clause: /);
      expect(e.message).toMatch(message);
    }
  });
});
