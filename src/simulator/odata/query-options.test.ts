import { describe, expect, it } from 'vitest';
import { ENTITY_SETS, type EntitySetName } from '../../mde/odata/entity-sets.js';
import { ODataError, oDataErrorBody } from '../../mde/odata/odata-error.js';
import { parseQueryOptions } from './query-options.js';
import { applySelect } from './select.js';

const parse = (set: EntitySetName, query: string) =>
  parseQueryOptions(new URLSearchParams(query), ENTITY_SETS[set]);

describe('parseQueryOptions', () => {
  it('defaults to no filter, no $top, $skip 0, no expand, no count', () => {
    expect(parse('machines', '')).toEqual({ skip: 0, expandEvidence: false, count: false });
  });

  it('reads the documented examples', () => {
    const machines = parse('machines', "$filter=healthStatus+ne+'Active'&$top=100");
    expect(machines.top).toBe(100);
    expect(machines.filter?.({ healthStatus: 'Inactive' })).toBe(true);
    expect(machines.filter?.({ healthStatus: 'Active' })).toBe(false);

    const alerts = parse(
      'alerts',
      '$filter=lastUpdateTime+ge+2019-11-22T00:00:00Z&$expand=evidence&$top=10000',
    );
    expect(alerts.expandEvidence).toBe(true);
    expect(alerts.top).toBe(10_000);
    expect(alerts.filter?.({ lastUpdateTime: '2019-11-22T00:00:00Z' })).toBe(true);
    expect(alerts.filter?.({ lastUpdateTime: '2019-11-21T23:59:59.9999999Z' })).toBe(false);

    const actions = parse(
      'machineActions',
      "$filter=machineId eq '1e5bc9d7e413ddd7902c2932e418702b84d0cc07'&$top=2",
    );
    expect(actions.top).toBe(2);
    expect(actions.filter?.({ machineId: '1e5bc9d7e413ddd7902c2932e418702b84d0cc07' })).toBe(true);
  });

  it('decodes %20, + and %2B as a URL does', () => {
    const q = parse('machines', '$filter=lastSeen%20gt%202019-11-22T01:00:00%2B01:00');
    expect(q.filter?.({ lastSeen: '2019-11-22T00:00:00.0000001Z' })).toBe(true);
    expect(q.filter?.({ lastSeen: '2019-11-22T00:00:00Z' })).toBe(false);
  });

  it('takes option names in any case and ignores parameters without $', () => {
    const q = parse('machines', '$TOP=5&$Skip=10&$ORDERBY=LastSeen DESC&pageSize=50000&sinceTime=x');
    expect(q).toMatchObject({ top: 5, skip: 10, orderBy: [{ property: 'lastSeen', direction: 'desc' }] });
  });

  it.each([
    ['machines', 10_000],
    ['alerts', 10_000],
    ['vulnerabilities', 8_000],
    ['machinesVulnerabilities', 10_000],
    ['software', 10_000],
    ['recommendations', 10_000],
    ['machineActions', 10_000],
  ] as const)('accepts $top up to the maximum of %s (%i)', (set, max) => {
    expect(parse(set, `$top=${max}`).top).toBe(max);
    expect(parse(set, '$top=1').top).toBe(1);
  });

  it('parses $orderby lists with default ascending order', () => {
    expect(parse('alerts', '$orderby=alertCreationTime, severity desc,  id asc').orderBy).toEqual([
      { property: 'alertCreationTime', direction: 'asc' },
      { property: 'severity', direction: 'desc' },
      { property: 'id', direction: 'asc' },
    ]);
  });

  it('accepts $expand=evidence on alerts in any case, and *', () => {
    expect(parse('alerts', '$expand=Evidence').expandEvidence).toBe(true);
    expect(parse('alerts', '$expand=*').expandEvidence).toBe(true);
    expect(parse('machines', '$expand=*').expandEvidence).toBe(false);
  });

  it('resolves $select to canonical names and projects records', () => {
    const q = parse('machines', '$select=id, ComputerDnsName,riskscore,id');
    expect(q.select).toEqual(['id', 'computerDnsName', 'riskScore']);
    expect(applySelect({ id: 'a', computerDnsName: 'x', healthStatus: 'Active' }, q.select)).toEqual({
      id: 'a',
      computerDnsName: 'x',
      riskScore: null,
    });
    expect(parse('machines', '$select=*').select).toBeUndefined();
    expect(applySelect({ id: 'a' }, undefined)).toEqual({ id: 'a' });
  });

  it('reads $count', () => {
    expect(parse('alerts', '$count=true').count).toBe(true);
    expect(parse('alerts', '$count=FALSE').count).toBe(false);
  });

  it('maps the asssignedTo typo to assignedTo everywhere', () => {
    const q = parse('alerts', "$filter=asssignedTo eq 'a@b.c'&$orderby=asssignedTo&$select=asssignedTo");
    expect(q.orderBy).toEqual([{ property: 'assignedTo', direction: 'asc' }]);
    expect(q.select).toEqual(['assignedTo']);
    expect(q.filter?.({ assignedTo: 'A@B.C' })).toBe(true);
  });
});

describe('rejections (400 ODataError)', () => {
  const PUBLIC_ASSET = "on type 'microsoft.windowsDefenderATP.api.PublicAssetDto'";
  it.each([
    // $filter: properties
    [
      'machines',
      '$filter=firstSeen gt 2018-08-01Z',
      /^The query specified in the URI is not valid\. The property 'firstSeen' cannot be used in the \$filter query option\.$/,
    ],
    [
      'machines',
      "$filter=rbacGroupName eq 'The-A-Team'",
      /The property 'rbacGroupName' cannot be used in the \$filter query option/,
    ],
    ['machines', "$filter=osVersion eq '10'", /The property 'osVersion' cannot be used in the \$filter/],
    [
      'machines',
      "$filter=foo eq 'x'",
      new RegExp(`^Invalid filter clause: Could not find a property named 'foo' ${PUBLIC_ASSET}\\.$`),
    ],
    [
      'machines',
      "$filter=ipAddresses/ipAddress eq '10.0.0.1'",
      /The property 'ipAddresses\/ipAddress' cannot be used in the \$filter/,
    ],
    ['alerts', "$filter=title eq 'x'", /The property 'title' cannot be used in the \$filter/],
    ['vulnerabilities', '$filter=epss gt 0.5', /The property 'epss' cannot be used in the \$filter/],
    ['software', '$filter=weaknesses gt 1', /The property 'weaknesses' cannot be used in the \$filter/],
    ['machineActions', "$filter=scope eq 'Full'", /The property 'scope' cannot be used in the \$filter/],
    [
      'machinesVulnerabilities',
      "$filter=foo eq 'x'",
      /Could not find a property named 'foo' on type 'microsoft.windowsDefenderATP.api.PublicAssetVulnerabilityDto'/,
    ],
    // $filter: syntax
    ['machines', '$filter=', /^Invalid filter clause: Expression expected at position 0 in ''\.$/],
    ['machines', '$filter=riskScore eq', /Expression expected at position 12/],
    [
      'machines',
      "$filter=riskScore eq 'High",
      /unterminated string literal at position 13 in 'riskScore eq 'High'/,
    ],
    ['machines', "$filter=(riskScore eq 'High'", /'\)' or operator expected/],
    ['machines', "$filter=riskScore = 'High'", /character '=' is not valid at position 10/],
    ['machines', '$filter=id eq 1e5bc9d7e413ddd7902c2932e418702b84d0cc07', /Syntax error at position 9/],
    [
      'machines',
      '$filter=lastSeen gt 2018-13-01Z',
      /Unrecognized 'Edm.DateTimeOffset' literal '2018-13-01Z'/,
    ],
    // $filter: types
    [
      'machines',
      "$filter=rbacGroupId eq 'abc'",
      /incompatible types .* 'Edm.Double' and 'Edm.String' for operator kind 'Equal'/,
    ],
    [
      'machines',
      "$filter=lastSeen gt '2018-08-01'",
      /'Edm.DateTimeOffset' and 'Edm.String' for operator kind 'GreaterThan'/,
    ],
    ['machines', '$filter=riskScore eq 5', /'Edm.String' and 'Edm.Int32'/],
    ['machines', "$filter=aadDeviceId eq 'not-a-guid'", /'Edm.Guid' and 'Edm.String'/],
    [
      'machines',
      '$filter=computerDnsName eq lastIpAddress',
      /Only comparisons between a property and a literal value/,
    ],
    ['machines', '$filter=healthStatus', /must evaluate to a single boolean value/],
    [
      'machines',
      "$filter=not healthStatus eq 'Active'",
      /unary operator .* 'Edm.String' for operator kind 'Not'/,
    ],
    [
      'machines',
      "$filter=healthStatus and riskScore eq 'High'",
      /binary operator .* 'Edm.String' and 'Edm.Boolean' for operator kind 'And'/,
    ],
    // $filter: collections and functions
    ['machines', "$filter=machineTags eq 'ExampleTag'", /'machineTags' can only be filtered with any\(\)/],
    ['machines', "$filter=healthStatus/any(t: t eq 'x')", /Any\/All may only be used following a collection/],
    ['machines', "$filter=machineTags/all(t: t eq 'x')", /Function 'all' is not allowed/],
    ['machines', "$filter=machineTags/any(t: t/x eq 'a')", /range variable 't' has no property 'x'/],
    [
      'machines',
      '$filter=machineTags/any(t: t)',
      /body of an Any\/All query must evaluate to a single boolean/,
    ],
    [
      'machines',
      "$filter=contains(computerDnsName,'machine')",
      /^The query specified in the URI is not valid\. Function 'contains' is not allowed\./,
    ],
    ['alerts', "$filter=contains(category,'x')", /Function 'contains' is not allowed/],
    ['machines', "$filter=tolower(computerDnsName) eq 'x'", /Function 'tolower' is not allowed/],
    [
      'machines',
      '$filter=frobnicate(computerDnsName)',
      /An unknown function with name 'frobnicate' was found/,
    ],
    [
      'machines',
      "$filter=startswith(rbacGroupId,'1')",
      /No function signature for the function with name 'startswith'/,
    ],
    ['machines', '$filter=startswith(computerDnsName)', /No function signature/],
    ['machines', "$filter=startswith('abc', computerDnsName)", /No function signature/],
    [
      'machines',
      "$filter=startswith(computerDnsName,'a') gt true",
      /boolean expression can only be compared with true or false/,
    ],
    // $top / $skip
    [
      'machines',
      '$top=10001',
      /^The query specified in the URI is not valid\. The limit of '10000' for Top query has been exceeded\. The value from the incoming request is '10001'\.$/,
    ],
    ['vulnerabilities', '$top=8001', /The limit of '8000' for Top query/],
    [
      'machines',
      '$top=0',
      /Invalid value '0' for \$top query option found\. The \$top query option requires a positive integer value\./,
    ],
    [
      'machines',
      '$top=-1',
      /Invalid value '-1' for \$top query option found\. The \$top query option requires a non-negative integer value\./,
    ],
    ['machines', '$top=abc', /Invalid value 'abc' for \$top/],
    ['machines', '$top=', /Invalid value '' for \$top/],
    ['machines', '$top=1.5', /Invalid value '1.5' for \$top/],
    [
      'machines',
      '$skip=-1',
      /Invalid value '-1' for \$skip query option found\. The \$skip query option requires a non-negative integer value\./,
    ],
    ['machines', '$skip=2.5', /Invalid value '2.5' for \$skip/],
    ['machines', '$skip=99999999999', /Invalid value '99999999999' for \$skip/],
    // $expand
    [
      'machines',
      '$expand=evidence',
      new RegExp(`Could not find a property named 'evidence' ${PUBLIC_ASSET}`),
    ],
    [
      'alerts',
      '$expand=comments',
      /Property 'comments' on type '.*' is not a navigation property or complex property/,
    ],
    ['alerts', '$expand=evidence($top=1)', /'evidence\(\$top=1\)' is not supported in \$expand/],
    ['alerts', '$expand=evidence,', /is not a valid \$expand value/],
    // $orderby
    [
      'machines',
      '$orderby=firstSeen',
      /The property 'firstSeen' cannot be used in the \$orderby query option/,
    ],
    ['machines', '$orderby=machineTags', /The property 'machineTags' cannot be used in the \$orderby/],
    ['machines', '$orderby=foo desc', new RegExp(`Could not find a property named 'foo' ${PUBLIC_ASSET}`)],
    ['machines', '$orderby=lastSeen sideways', /'lastSeen sideways' is not a valid \$orderby item/],
    [
      'machines',
      '$orderby=lastSeen,LASTSEEN desc',
      /Duplicate property named 'lastSeen' is not supported in '\$orderby'/,
    ],
    ['machines', '$orderby=', /is not a valid \$orderby value/],
    // $select, $count
    ['machines', '$select=foo', new RegExp(`Could not find a property named 'foo' ${PUBLIC_ASSET}`)],
    ['alerts', '$select=relatedUser/userName', /'relatedUser\/userName' is not supported in \$select/],
    ['alerts', '$count=yes', /^'yes' is not a valid count option\.$/],
    // unknown, unsupported and repeated options
    ['machines', '$search=foo', /Query option 'Search' is not allowed/],
    ['machines', '$skiptoken=abc', /Query option 'SkipToken' is not allowed/],
    ['machines', '$foo=1', /^The query parameter '\$foo' is not supported\.$/],
    ['machines', '$stop=10', /The query parameter '\$stop' is not supported/],
    ['machines', '$top=1&$TOP=2', /Query option '\$TOP' was specified more than once/],
  ] as const)('%s ?%s', (set, query, message) => {
    let error: unknown;
    try {
      parse(set, query);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ODataError);
    const e = error as ODataError;
    expect(e.code).toBe('ODataError');
    expect(e.status).toBe(400);
    expect(e.retryable).toBe(false);
    expect(e.message).toMatch(message);
  });
});

describe('oDataErrorBody', () => {
  it('wraps the error in the MDE envelope with the correlation id as target', () => {
    let body: unknown;
    try {
      parse('machines', '$filter=firstSeen gt 2018-08-01Z');
    } catch (err) {
      body = oDataErrorBody(err as ODataError, '43f4cb08-8fac-4b65-9db1-745c2ae65f3a');
    }
    expect(body).toEqual({
      error: {
        code: 'ODataError',
        message:
          "The query specified in the URI is not valid. The property 'firstSeen' cannot be used in the $filter query option.",
        target: '43f4cb08-8fac-4b65-9db1-745c2ae65f3a',
      },
    });
  });
});
