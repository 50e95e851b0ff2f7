/**
 * Every example body of the Microsoft docs (test/fixtures/mde-samples) parses with
 * the lenient schemas; a few normalised values are spot-checked; bad records are rejected with a
 * reason that names the field (docs/architecture.md#conventions).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { keySpecFromSchema } from '../src/mde/parse/key-spec-from-schema.js';
import { normalizeKeys } from '../src/mde/parse/normalize-keys.js';
import { parseRecord } from '../src/mde/parse/parse-record.js';
import {
  AdvancedQueryResponseSchema,
  AlertSchema,
  CommentRequestSchema,
  CveSchema,
  ErrorEnvelopeSchema,
  ExportFilesResponseSchema,
  InventoryRowSchema,
  IsolateRequestSchema,
  LogonUserSchema,
  MachineActionSchema,
  MachineRefSchema,
  MachineSchema,
  MachineVulnerabilitySchema,
  MissingKbSchema,
  NonCpeInventoryRowSchema,
  OdataPageEnvelopeSchema,
  odataPageSchema,
  RecommendationSchema,
  RunAntiVirusScanRequestSchema,
  SoftwareDistributionSchema,
  SoftwareSchema,
  TokenResponseSchema,
  VulnerabilityChangeRowSchema,
  VulnerabilityRowSchema,
} from '../src/mde/schemas/index.js';

/** Microsoft's example bodies, kept as fixtures. */
const SAMPLES_DIR = fileURLToPath(new URL('./fixtures/mde-samples/', import.meta.url));

/** The parseable copy (normalized/) where the docs' sample is not strict JSON, else the sample itself. */
function samplePath(file: string): string {
  const normalized = `${SAMPLES_DIR}normalized/${file}`;
  return existsSync(normalized) ? normalized : `${SAMPLES_DIR}${file}`;
}

function loadSample(file: string): unknown {
  return JSON.parse(readFileSync(samplePath(file), 'utf8'));
}

type Entry =
  /** An OData collection whose `value` items are each parsed with `item`. */
  | { kind: 'page'; item: z.ZodType }
  /** One entity or response object. */
  | { kind: 'single'; schema: z.ZodType }
  /** A request body: parsed case-sensitively, as MDE reads it (docs/mde-api.md#errors). */
  | { kind: 'request'; schema: z.ZodType };

const page = (item: z.ZodType): Entry => ({ kind: 'page', item });
const single = (schema: z.ZodType): Entry => ({ kind: 'single', schema });
const request = (schema: z.ZodType): Entry => ({ kind: 'request', schema });

/** Which schema applies to each sample file (see mde-samples/README.md for the source of each). */
const SAMPLES: Record<string, Entry> = {
  'token-response.json': single(TokenResponseSchema),
  'error-404-resourcenotfound.json': single(ErrorEnvelopeSchema),
  'error-400-invalidrequestbody.json': single(ErrorEnvelopeSchema),
  'machines-list.json': page(MachineSchema),
  'machine-by-id.json': single(MachineSchema),
  'machines-filter-healthstatus-ne-active.json': page(MachineSchema),
  'alert-related-machine.json': single(MachineSchema),
  'machine-logonusers.json': page(LogonUserSchema),
  'missing-kbs-machine.json': page(MissingKbSchema),
  'alerts.json': page(AlertSchema),
  'alerts-expand-evidence.json': page(AlertSchema),
  'alert-single.json': single(AlertSchema),
  'machineaction.json': single(MachineActionSchema),
  'machineaction-get.json': single(MachineActionSchema),
  'machineactions-list.json': page(MachineActionSchema),
  'isolate-201-response-legacy-2017.json': single(MachineActionSchema),
  'isolate-request.json': request(IsolateRequestSchema),
  'unisolate-request.json': request(CommentRequestSchema),
  'runantivirusscan-request.json': request(RunAntiVirusScanRequestSchema),
  'machine-vulns-by-machine.json': page(VulnerabilityRowSchema),
  'vulns-export-response.json': single(ExportFilesResponseSchema),
  'vulns-changes.json': page(VulnerabilityChangeRowSchema),
  'vulnerabilities-catalog.json': page(CveSchema),
  'vulnerabilities-catalog-older-revision.json': page(CveSchema),
  'vulnerability-by-id.json': single(CveSchema),
  'machine-vulnerabilities.json': page(CveSchema),
  'machines-vulnerabilities.json': page(MachineVulnerabilitySchema),
  'vulnerability-machinereferences.json': page(MachineRefSchema),
  'software-list.json': page(SoftwareSchema),
  'software-by-id.json': single(SoftwareSchema),
  'software-distributions.json': page(SoftwareDistributionSchema),
  'software-machinereferences.json': page(MachineRefSchema),
  'software-vulnerabilities.json': page(CveSchema),
  'machine-software.json': page(SoftwareSchema),
  'software-inventory-by-machine.json': page(InventoryRowSchema),
  'software-inventory-export-response.json': single(ExportFilesResponseSchema),
  'noncpe-inventory-by-machine.json': page(NonCpeInventoryRowSchema),
  'noncpe-export-response.json': single(ExportFilesResponseSchema),
  'recommendations.json': page(RecommendationSchema),
  'recommendations-older-revision.json': page(RecommendationSchema),
  'recommendation-by-id.json': single(RecommendationSchema),
  'machine-recommendations.json': page(RecommendationSchema),
  'recommendation-vulnerabilities.json': page(CveSchema),
  'recommendation-machinereferences.json': page(MachineRefSchema),
  'recommendation-software.json': single(SoftwareSchema),
  'advancedqueries-run-response.json': single(AdvancedQueryResponseSchema),
};

/** Parses one sample as its table entry says; returns the parsed value(s) or fails with the reason. */
function parseSample(file: string): unknown {
  const entry = SAMPLES[file];
  if (entry === undefined) throw new Error(`no table entry for ${file}`);
  const raw = loadSample(file);
  if (entry.kind !== 'page') {
    const result = parseRecord(entry.schema, raw, { normalizeKeys: entry.kind !== 'request' });
    if (!result.ok) throw new Error(`${file}: ${result.reason}`);
    return result.value;
  }
  // Per item, as a connector does it, so that one bad record is one counted rejection
  // (docs/architecture.md#conventions).
  const envelope = parseRecord(OdataPageEnvelopeSchema, raw);
  if (!envelope.ok) throw new Error(`${file}: ${envelope.reason}`);
  const items = envelope.value.value.map((item, i) => {
    const result = parseRecord(entry.item, item);
    if (!result.ok) throw new Error(`${file} value[${i}]: ${result.reason}`);
    return result.value;
  });
  return { ...envelope.value, value: items };
}

function parsed<T = Record<string, unknown>>(file: string): T {
  return parseSample(file) as T;
}

type Row = Record<string, unknown>;
type Page = { value: Row[]; '@odata.nextLink'?: string };

describe('MDE doc samples', () => {
  it('has a table entry for every sample file', () => {
    const files = readdirSync(SAMPLES_DIR).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(40);
    expect(files.filter((f) => !(f in SAMPLES))).toEqual([]);
    expect(Object.keys(SAMPLES).filter((f) => !files.includes(f))).toEqual([]);
  });

  it.each(Object.keys(SAMPLES))('%s parses', (file) => {
    const value = parseSample(file);
    const entry = SAMPLES[file]!;
    const schema = entry.kind === 'page' ? odataPageSchema(entry.item) : entry.schema;
    if (entry.kind === 'page') {
      expect((value as Page).value.length).toBeGreaterThan(0);
      // The whole-page schema agrees with the per-item parse.
      expect(parseRecord(schema, loadSample(file))).toEqual({ ok: true, value });
    }
    // parseRecord's compiled schema agrees with zod's runtime parser.
    const raw = loadSample(file) as Row;
    const input = entry.kind === 'request' ? raw : normalizeKeys(raw, keySpecFromSchema(schema));
    expect(schema.parse(input)).toEqual(value);
  });

  it('machines: rbacGroupId is a number, timestamps are ISO UTC with milliseconds', () => {
    const [machine] = parsed<Page>('machines-list.json').value;
    expect(machine).toMatchObject({
      id: '1e5bc9d7e413ddd7902c2932e418702b84d0cc07',
      rbacGroupId: 140,
      firstSeen: '2018-08-02T14:55:03.779Z',
      isAadJoined: true,
      machineTags: ['test tag 1', 'test tag 2'],
    });
    const related = parsed('alert-related-machine.json');
    expect(related['lastSeen']).toBe('2021-01-25T07:27:36.052Z');
    expect(related['ipAddresses']).toEqual([
      { ipAddress: '10.166.113.47', macAddress: '8CEC4B897E73', operationalStatus: 'Up' },
      { ipAddress: '2a01:110:68:4:59e4:3916:3b3e:4f96', macAddress: '8CEC4B897E73', operationalStatus: 'Up' },
    ]);
    // Unknown keys such as @odata.context are kept.
    expect(parsed('machine-by-id.json')['@odata.context']).toBe(
      'https://api.security.microsoft.com/api/$metadata#Machine',
    );
  });

  it('machines: a string rbacGroupId is normalised to the same number', () => {
    const raw = loadSample('machine-by-id.json') as Row;
    const fromString = parseRecord(MachineSchema, { ...raw, rbacGroupId: '140' });
    expect(fromString).toEqual({ ok: true, value: parsed('machine-by-id.json') });
  });

  it('vulnerability rows: zone-less timestamps become ISO UTC, the nextLink is kept as given', () => {
    const result = parsed<Page>('machine-vulns-by-machine.json');
    expect(result.value[0]).toMatchObject({
      deviceId: '00044f612345daf756462bde6bd733b9a9c59ab4',
      cveId: null,
      lastSeenTimestamp: '2020-12-30T14:17:26.000Z',
      firstSeenTimestamp: '2020-12-30T11:07:15.000Z',
      securityUpdateAvailable: true,
    });
    expect(result['@odata.nextLink']).toMatch(
      /^https:\/\/api\.securitycenter\.microsoft\.com\/api\/machines\//,
    );
  });

  it('vulnerability rows: a PascalCase copy parses to the same value as the camelCase row (4.1)', () => {
    const rows = (loadSample('machine-vulns-by-machine.json') as Page).value;
    for (const row of rows) {
      const pascal = Object.fromEntries(
        Object.entries(row).map(([k, v]) => [k[0]!.toUpperCase() + k.slice(1), v]),
      );
      // The doc tables' own spellings: ID and OSPlatform (docs/mde-api.md#field-casing).
      pascal['ID'] = pascal['Id'];
      delete pascal['Id'];
      pascal['OSPlatform'] = pascal['OsPlatform'];
      delete pascal['OsPlatform'];
      expect(pascal).toHaveProperty('DeviceId');
      expect(parseRecord(VulnerabilityRowSchema, pascal)).toEqual(parseRecord(VulnerabilityRowSchema, row));
    }
  });

  it.each([
    ['alert-single.json', AlertSchema],
    ['alert-related-machine.json', MachineSchema],
    ['machineaction-get.json', MachineActionSchema],
    ['isolate-201-response-legacy-2017.json', MachineActionSchema],
  ] as const)(
    '%s: a deep PascalCase copy (nested evidence, ipAddresses, ...) parses the same',
    (file, schema) => {
      const upper = (key: string) => key[0]!.toUpperCase() + key.slice(1);
      const pascal = (value: unknown): unknown => {
        if (Array.isArray(value)) return value.map(pascal);
        if (typeof value !== 'object' || value === null) return value;
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [upper(k), pascal(v)]));
      };
      const raw = loadSample(file) as Row;
      // Unknown keys (`@odata.context`, the 2017 `error`) are kept as sent, so only their spelling differs.
      const unknown = new Set(['@odata.context', 'error']);
      const expected = Object.fromEntries(
        Object.entries(parsed(file)).map(([k, v]) => [unknown.has(k) ? upper(k) : k, v]),
      );
      expect(parseRecord(schema, pascal(raw))).toEqual({ ok: true, value: expected });
    },
  );

  it('vulnerability rows: numbers as strings and blanks are normalised (12.4)', () => {
    const [row] = (loadSample('machine-vulns-by-machine.json') as Page).value;
    const asStrings = parseRecord(VulnerabilityRowSchema, { ...row, RbacGroupId: '140', CvssScore: '6.2' });
    expect(asStrings.ok && asStrings.value).toMatchObject({ rbacGroupId: 140, cvssScore: 6.2 });
    const blanks = parseRecord(VulnerabilityRowSchema, {
      ...row,
      rbacGroupId: '',
      cvssScore: ' ',
      firstSeenTimestamp: '',
    });
    expect(blanks.ok && blanks.value).toMatchObject({
      rbacGroupId: null,
      cvssScore: null,
      firstSeenTimestamp: null,
    });
  });

  it('delta rows: eventTimestamp with 7 fractional digits, status kept (4.3)', () => {
    const result = parsed<Page>('vulns-changes.json');
    expect(result.value).toHaveLength(5);
    expect(result.value[2]).toMatchObject({
      id: '01aa8c73095bb12345918663f3f94ce322107d24_firefox_83.0.0.0_CVE-2020-26971_',
      cveId: 'CVE-2020-26971',
      status: 'Fixed',
      eventTimestamp: '2020-11-03T10:13:34.847Z',
      recommendedSecurityUpdate: '193220',
    });
    // docs/mde-api.md#documentation-defects: the staging host in the doc's nextLink is kept verbatim, never
    // rebuilt.
    expect(result['@odata.nextLink']).toMatch(/^https:\/\/wpatdadi-eus-stg\.cloudapp\.net\//);
  });

  it('software inventory: endOfSupportDate with +00:00, or null', () => {
    const rows = parsed<Page>('software-inventory-by-machine.json').value;
    expect(rows[0]).toMatchObject({
      numberOfWeaknesses: 58,
      softwareFirstSeenTimestamp: '2020-12-30T11:07:15.000Z',
      endOfSupportStatus: 'Upcoming EOS Version',
      endOfSupportDate: '2021-05-11T00:00:00.000Z',
    });
    expect(rows[1]?.['endOfSupportDate']).toBeNull();
    const nonCpe = parsed<Page>('noncpe-inventory-by-machine.json').value;
    expect(nonCpe[0]).toMatchObject({
      rbacGroupId: 11,
      softwareLastSeenTimestamp: '2021-01-30T11:31:12.271Z',
    });
    expect(nonCpe[1]?.['softwareName']).toBe('intel®_software_installer');
  });

  it('CVE catalog: newest and older revisions (CveSupportability, 12.2)', () => {
    expect(parsed<Page>('vulnerabilities-catalog.json').value[0]).toMatchObject({
      cvssV3: 8,
      epss: 0.632,
      tags: [],
      cveSupportability: 'Supported',
      firstDetected: '2024-07-31T01:55:47.000Z',
      publishedOn: '2024-07-30T00:00:00.000Z',
    });
    const older = parsed<Page>('vulnerabilities-catalog-older-revision.json').value[0]!;
    expect(older['cveSupportability']).toBe('supported');
    expect(older).not.toHaveProperty('CveSupportability');
    // Older DTO samples lack the four newer fields; they stay absent (docs/mde-api.md#cve-catalog).
    expect(parsed('vulnerability-by-id.json')).not.toHaveProperty('epss');
  });

  it('machinesVulnerabilities: fixingKbId null or a KB', () => {
    const rows = parsed<Page>('machines-vulnerabilities.json').value;
    expect(rows.map((r) => r['fixingKbId'])).toEqual([null, '3185911']);
  });

  it('alerts: evidence, comments and relatedUser', () => {
    const alert = parsed('alert-single.json');
    expect(alert).toMatchObject({
      id: 'da637472900382838869_1364969609',
      incidentId: 1126093,
      investigationId: null,
      lastUpdateTime: '2021-01-26T20:33:59.200Z',
      relatedUser: { userName: 'temp123', domainName: 'DOMAIN' },
      comments: [{ createdBy: 'secop123@contoso.com', createdTime: '2021-01-26T01:00:37.840Z' }],
      mitreTechniques: ['T1064', 'T1085', 'T1220'],
    });
    const evidence = alert['evidence'] as Row[];
    expect(evidence.map((e) => e['entityType'])).toEqual(['User', 'Process', 'File']);
    expect(evidence[1]).toMatchObject({ processId: 3276, processCreationTime: '2021-01-26T20:31:32.958Z' });
    // The list with $expand=evidence carries the identical alert.
    expect(parsed<Page>('alerts-expand-evidence.json').value[0]).toEqual(alert);
  });

  it('machine actions: both last-update spellings fill lastUpdateDateTimeUtc (12.5)', () => {
    expect(parsed('machineaction-get.json')['lastUpdateDateTimeUtc']).toBe('2019-01-02T14:40:44.659Z');
    const list = parsed<Page>('machineactions-list.json').value;
    expect(list[0]).toMatchObject({
      lastUpdateTimeUtc: '2018-12-04T12:45:25.404Z',
      lastUpdateDateTimeUtc: '2018-12-04T12:45:25.404Z',
      scope: null,
    });
    expect(list[2]?.['relatedFileInfo']).toEqual({
      fileIdentifier: 'a0c659857ccbe457fdaf5fe21d54efdcbf6f6508',
      fileIdentifierType: 'Sha1',
    });
    const legacy = parsed('isolate-201-response-legacy-2017.json');
    expect(legacy).toMatchObject({
      status: 'InProgress',
      error: 'None',
      lastUpdateDateTimeUtc: '2017-12-04T12:12:18.972Z',
    });
  });

  it('logon users, missing KBs, software, distributions, recommendations', () => {
    expect(parsed<Page>('machine-logonusers.json').value[0]).toMatchObject({
      id: 'contoso\\user1',
      firstSeen: '2019-12-18T08:02:54.000Z',
      isDomainAdmin: true,
    });
    expect(parsed<Page>('missing-kbs-machine.json').value[0]).toMatchObject({
      id: '4540673',
      cveAddressed: 97,
    });
    expect(parsed('software-by-id.json')).toMatchObject({ id: 'microsoft-_-edge', impactScore: 2.39947438 });
    expect(parsed<Page>('software-distributions.json').value.map((d) => d['installations'])).toEqual([
      1, 750,
    ]);
    expect(parsed<Page>('recommendations.json').value[0]).toMatchObject({
      id: 'va-_-microsoft-_-edge_chromium-based',
      recommendedProgram: '',
      hasUnpatchableCve: false,
      tags: ['internetFacing'],
    });
  });

  it('export, token and error responses', () => {
    const exported = parsed('vulns-export-response.json');
    expect(exported['exportFiles']).toHaveLength(3);
    expect(exported['generatedTime']).toBe('2021-01-11T11:01:00.000Z');
    expect(parsed('noncpe-export-response.json')['exportFiles']).toHaveLength(5);
    expect(parsed('token-response.json')).toMatchObject({ token_type: 'Bearer', expires_in: 3599 });
    // The v1 token endpoint sends its numbers as strings.
    const v1 = parseRecord(TokenResponseSchema, {
      token_type: 'Bearer',
      expires_in: '3599',
      access_token: 'x',
    });
    expect(v1.ok && v1.value.expires_in).toBe(3599);
    expect(parsed('error-404-resourcenotfound.json')).toEqual({
      error: {
        code: 'ResourceNotFound',
        message: 'Machine 123123123 was not found',
        target: '43f4cb08-8fac-4b65-9db1-745c2ae65f3a',
      },
    });
    expect(parsed('advancedqueries-run-response.json')['Results']).toHaveLength(2);
  });

  it('request bodies are case-sensitive (2.4)', () => {
    expect(parsed('isolate-request.json')).toEqual({
      Comment: 'Isolate machine due to alert 1234',
      IsolationType: 'Full',
    });
    expect(parseRecord(IsolateRequestSchema, { comment: 'x' }, { normalizeKeys: false })).toEqual({
      ok: false,
      reason: 'Comment: required field is missing',
    });
    const badScan = parseRecord(
      RunAntiVirusScanRequestSchema,
      { Comment: 'x', ScanType: 'Deep' },
      { normalizeKeys: false },
    );
    expect(badScan).toEqual({ ok: false, reason: 'ScanType: expected one of Quick|Full, got "Deep"' });
  });
});

describe('rejected records name the field', () => {
  const vulnRow = (loadSample('machine-vulns-by-machine.json') as Page).value[0]!;
  const alert = loadSample('alert-single.json') as Row;
  const change = (loadSample('vulns-changes.json') as Page).value[0]!;
  const { deviceId: _deviceId, ...withoutDeviceId } = vulnRow;

  it.each<[string, z.ZodType, unknown, string | RegExp]>([
    [
      'missing identity field',
      VulnerabilityRowSchema,
      withoutDeviceId,
      'deviceId: required field is missing',
    ],
    [
      'missing identity field, PascalCase input',
      VulnerabilityRowSchema,
      { DeviceId: 'd', SoftwareVendor: 'v', SoftwareName: 'n' },
      'softwareVersion: required field is missing',
    ],
    [
      'empty identity field',
      VulnerabilityRowSchema,
      { ...vulnRow, deviceId: '' },
      'deviceId: must not be empty',
    ],
    ['null identity field', MachineSchema, { id: null }, 'id: expected string, got null'],
    ['identity of the wrong type', AlertSchema, { ...alert, id: 42 }, 'id: expected string, got number 42'],
    [
      'boolean of the wrong type',
      VulnerabilityRowSchema,
      { ...vulnRow, securityUpdateAvailable: 'yes' },
      'securityUpdateAvailable: expected boolean, got "yes"',
    ],
    [
      'non-numeric rbacGroupId',
      VulnerabilityRowSchema,
      { ...vulnRow, rbacGroupId: 'abc' },
      'rbacGroupId: expected a number, got "abc"',
    ],
    [
      'fractional rbacGroupId',
      MachineSchema,
      { id: 'm', RbacGroupId: 1.5 },
      'rbacGroupId: expected an integer, got 1.5',
    ],
    [
      'rbacGroupId of the wrong type',
      MachineSchema,
      { id: 'm', rbacGroupId: true },
      'rbacGroupId: expected a number or a numeric string, got boolean true',
    ],
    [
      'garbage timestamp',
      VulnerabilityRowSchema,
      { ...vulnRow, lastSeenTimestamp: 'yesterday' },
      'lastSeenTimestamp: not a timestamp: "yesterday"',
    ],
    [
      'impossible date',
      MachineSchema,
      { id: 'm', lastSeen: '2021-02-30T00:00:00Z' },
      'lastSeen: not a timestamp: "2021-02-30T00:00:00Z"',
    ],
    [
      'nested field of the wrong type',
      AlertSchema,
      { ...alert, evidence: [{}, { processId: { pid: 1 } }] },
      'evidence[1].processId: expected a number or a numeric string, got an object',
    ],
    [
      'list of the wrong type',
      MachineSchema,
      { id: 'm', machineTags: 'tag' },
      'machineTags: expected array, got "tag"',
    ],
    [
      'delta row without status',
      VulnerabilityChangeRowSchema,
      { ...change, status: undefined },
      'status: required field is missing',
    ],
    [
      'delta row without eventTimestamp',
      VulnerabilityChangeRowSchema,
      { ...change, eventTimestamp: null },
      'eventTimestamp: expected string, got null',
    ],
    [
      'export response without generatedTime',
      ExportFilesResponseSchema,
      { exportFiles: [] },
      'generatedTime: required field is missing',
    ],
    [
      'error envelope without a code',
      ErrorEnvelopeSchema,
      { error: { message: 'x' } },
      'error.code: required field is missing',
    ],
    [
      'several problems at once',
      VulnerabilityRowSchema,
      {},
      'deviceId: required field is missing (and 3 more issues)',
    ],
    ['not an object: array', MachineSchema, [{ id: 'm' }], 'record: expected an object, got an array'],
    ['not an object: string', MachineSchema, '{"id":"m"}', /^record: expected an object, got "/],
    ['not an object: null', MachineSchema, null, 'record: expected an object, got null'],
  ])('%s', (_name, schema, raw, reason) => {
    const result = parseRecord(schema, raw);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      if (typeof reason === 'string') expect(result.reason).toBe(reason);
      else expect(result.reason).toMatch(reason);
    }
  });

  it('quotes only the start of a long offending value', () => {
    const result = parseRecord(VulnerabilityRowSchema, {
      ...vulnRow,
      firstSeenTimestamp: 'x'.repeat(10_000),
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason.length).toBeLessThan(100);
  });
});
