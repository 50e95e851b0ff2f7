import { compileFieldTuple } from './compile-field-tuple.js';
import { contentHash } from './content-hash.js';
import { type CustomAttributes, hasCustomAttributes } from './custom-fields.js';
import type { NormalizedFinding } from './model.js';

/**
 * How a finding's value is held in the model and stored (docs/data-model.md#findings):
 * - `text`, `integer`, `real`: as they are, or null;
 * - `flag`: a boolean stored as 1/0, or null;
 * - `paths`: a list of strings stored as JSON text;
 * - `json`: an object stored as JSON text;
 * - `custom`: the connector's custom attributes, stored as JSON text (`{}` when there are none).
 */
export type FindingValueType = 'text' | 'integer' | 'real' | 'flag' | 'paths' | 'json' | 'custom';

/** What a new finding's lifecycle column starts as: a value of the write, or a constant. */
export type FindingInitialValue =
  | 'connectorId'
  | 'seenToken'
  /** The time of the snapshot or change event that created the finding. */
  | 'stateTime'
  /** The time of the write. */
  | 'writeTime'
  | { readonly constant: string | number | null };

/**
 * Where a finding's field lives in the findings table (docs/data-model.md#finding):
 * - `column`: a column of its own; queries filter, sort or group on it, or the lifecycle reads it;
 * - `packed`: a member of the one packed text (a JSON object, by column name) that holds the fields
 *   no query filters on: one bound value instead of ten costs the writer less per row;
 * - `device`: the machine id, stored as the integer id of the connector's device (`finding_devices`);
 * - `software`: vendor, product or version, stored together as the integer id of the software
 *   version (`finding_software`);
 * - `derived`: not stored; read back from the stored fields (the finding key and its name).
 */
export type FindingStorage = 'column' | 'packed' | 'device' | 'software' | 'derived';

/**
 * One column of a finding as the store reads and writes it. `column` is the Kysely (camelCase) name;
 * SQL uses its snake_case.
 * - `from: 'finding'`: the value of the model's `field`, of `type`, kept as `storage` says. `hashed:
 *   'always'` makes it part of the finding's content hash, `'when-set'` only when it holds something
 *   (so rows without it hash as they did before it existed). `rewrite`: a changed finding's row takes
 *   the new value; otherwise the value is written once, when the finding is first stored.
 *   `orStateTime`: a new finding without the value takes the time of the snapshot or change that
 *   created it.
 * - `from: 'host'`: the id of the finding's host, rewritten with the content.
 * - `from: 'lifecycle'`: kept by the finding lifecycle; `initial` is a new finding's value.
 */
export type FindingColumn =
  | {
      readonly column: string;
      readonly from: 'finding';
      readonly field: keyof NormalizedFinding;
      readonly type: FindingValueType;
      readonly storage: FindingStorage;
      readonly rewrite: boolean;
      readonly hashed?: 'always' | 'when-set';
      readonly orStateTime?: true;
    }
  | { readonly column: string; readonly from: 'host' }
  | { readonly column: string; readonly from: 'lifecycle'; readonly initial: FindingInitialValue };

/**
 * The findings table, one line a column: everything the codec between the sync and the SQLite writer
 * thread, both databases' column lists, the packed text, what readers see and the content hash are
 * derived from. Adding a column is a line here plus a migration (a packed one needs no migration of
 * the table: rows written before it read it as null).
 *
 * Order matters twice: it is the order of a snapshot row's fields, and the `hashed` fields hash in this
 * order, so moving a hashed line changes every finding's content hash (and rewrites every finding on
 * the next sync).
 */
// biome-ignore format: one line a column reads as a table
export const FINDING_COLUMNS = [
  { column: 'connectorId', from: 'lifecycle', initial: 'connectorId' },
  { column: 'machineId', from: 'finding', field: 'machineId', type: 'text', storage: 'device', rewrite: false },
  { column: 'findingKey', from: 'finding', field: 'findingKey', type: 'text', storage: 'derived', rewrite: false },
  { column: 'cveId', from: 'finding', field: 'cveId', type: 'text', storage: 'column', rewrite: false },
  { column: 'softwareVendor', from: 'finding', field: 'softwareVendor', type: 'text', storage: 'software', rewrite: false },
  { column: 'softwareName', from: 'finding', field: 'softwareName', type: 'text', storage: 'software', rewrite: false },
  { column: 'softwareVersion', from: 'finding', field: 'softwareVersion', type: 'text', storage: 'software', rewrite: false },
  { column: 'name', from: 'finding', field: 'name', type: 'text', storage: 'derived', rewrite: false },
  { column: 'severity', from: 'finding', field: 'severity', type: 'integer', storage: 'column', rewrite: true },
  { column: 'score', from: 'finding', field: 'score', type: 'real', storage: 'column', rewrite: true },
  // The hashed fields, in hash order.
  { column: 'sourceSeverity', from: 'finding', field: 'sourceSeverity', type: 'text', storage: 'packed', rewrite: true, hashed: 'always' },
  { column: 'cvssScore', from: 'finding', field: 'cvssScore', type: 'real', storage: 'packed', rewrite: true, hashed: 'always' },
  { column: 'securityUpdateAvailable', from: 'finding', field: 'securityUpdateAvailable', type: 'flag', storage: 'column', rewrite: true, hashed: 'always' },
  { column: 'recommendedSecurityUpdate', from: 'finding', field: 'recommendedSecurityUpdate', type: 'text', storage: 'packed', rewrite: true, hashed: 'always' },
  { column: 'recommendedSecurityUpdateId', from: 'finding', field: 'recommendedSecurityUpdateId', type: 'text', storage: 'packed', rewrite: true, hashed: 'always' },
  { column: 'recommendedSecurityUpdateUrl', from: 'finding', field: 'recommendedSecurityUpdateUrl', type: 'text', storage: 'packed', rewrite: true, hashed: 'always' },
  // Per device, not per software version: user-profile paths differ from one device to the next.
  { column: 'diskPaths', from: 'finding', field: 'diskPaths', type: 'paths', storage: 'packed', rewrite: true, hashed: 'always' },
  { column: 'registryPaths', from: 'finding', field: 'registryPaths', type: 'paths', storage: 'packed', rewrite: true, hashed: 'always' },
  { column: 'exploitabilityLevel', from: 'finding', field: 'exploitabilityLevel', type: 'text', storage: 'column', rewrite: true, hashed: 'always' },
  { column: 'recommendationReference', from: 'finding', field: 'recommendationReference', type: 'text', storage: 'column', rewrite: true, hashed: 'always' },
  { column: 'rbacGroupId', from: 'finding', field: 'rbacGroupId', type: 'integer', storage: 'packed', rewrite: true, hashed: 'always' },
  { column: 'rbacGroupName', from: 'finding', field: 'rbacGroupName', type: 'text', storage: 'packed', rewrite: true, hashed: 'always' },
  // MDE's own first-seen time when it has one: the finding existed before we looked.
  { column: 'firstFound', from: 'finding', field: 'firstSeen', type: 'text', storage: 'column', rewrite: false, hashed: 'always', orStateTime: true },
  { column: 'extra', from: 'finding', field: 'extra', type: 'json', storage: 'packed', rewrite: true, hashed: 'always' },
  { column: 'customAttributes', from: 'finding', field: 'customAttributes', type: 'custom', storage: 'packed', rewrite: true, hashed: 'when-set' },
  { column: 'contentHash', from: 'finding', field: 'contentHash', type: 'text', storage: 'column', rewrite: true },
  { column: 'hostId', from: 'host' },
  { column: 'status', from: 'lifecycle', initial: { constant: 'open' } },
  { column: 'reopenedCount', from: 'lifecycle', initial: { constant: 0 } },
  { column: 'lastFound', from: 'lifecycle', initial: 'stateTime' },
  { column: 'lastFixed', from: 'lifecycle', initial: { constant: null } },
  { column: 'stateTime', from: 'lifecycle', initial: 'stateTime' },
  { column: 'endOfSupportStatus', from: 'lifecycle', initial: { constant: null } },
  { column: 'endOfSupportDate', from: 'lifecycle', initial: { constant: null } },
  { column: 'seenRunId', from: 'lifecycle', initial: 'seenToken' },
  { column: 'updatedAt', from: 'lifecycle', initial: 'writeTime' },
] as const satisfies readonly FindingColumn[];

/** Model fields that are not stored: the volatile last-seen time changes on every export. */
export const UNSTORED_FINDING_FIELDS = ['lastSeen'] as const satisfies ReadonlyArray<keyof NormalizedFinding>;

type Described = (typeof FINDING_COLUMNS)[number];
/** A column that holds a model field. */
export type FindingFieldColumn = Extract<FindingColumn, { from: 'finding' }>;
/** A described column that holds a model field, as the description spells it. */
export type DescribedFieldColumn = Extract<Described, { from: 'finding' }>;
/** The Kysely names of the described columns. */
export type DescribedFindingColumn = Described['column'];

/** The members of a tuple that occur more than once. */
export type Repeated<T extends readonly unknown[], Seen = never> = T extends readonly [
  infer Head,
  ...infer Rest,
]
  ? (Head extends Seen ? Head : never) | Repeated<Rest, Seen | Head>
  : never;

type Columns<T extends readonly unknown[]> = { [K in keyof T]: T[K] extends { column: infer C } ? C : never };
type Fields<T extends readonly unknown[]> = {
  [K in keyof T]: T[K] extends { field: infer F } ? F : never;
};
type AllFields = [...Fields<typeof FINDING_COLUMNS>, ...typeof UNSTORED_FINDING_FIELDS];

/** The model's value for each type: a field described with a type its value does not have fails to compile. */
interface ModelValue {
  text: string | null;
  integer: number | null;
  real: number | null;
  flag: boolean | null;
  paths: readonly string[];
  json: Record<string, unknown>;
  custom: CustomAttributes;
}
type Mistyped = {
  [C in DescribedFieldColumn as C['column']]: NormalizedFinding[C['field']] extends ModelValue[C['type']]
    ? never
    : C['column'];
}[DescribedFieldColumn['column']];

/** `true` when `Problem` is `never`; otherwise the compiler names the problem. */
type Checked<Problem> = [Problem] extends [never] ? true : { problem: Problem };
// Every model field is described exactly once (stored in one column, or listed as not stored), with
// its type, and no column is described twice.
const everyFieldDescribed: Checked<Exclude<keyof NormalizedFinding, AllFields[number]>> = true;
const noFieldTwice: Checked<Repeated<AllFields>> = true;
const noColumnTwice: Checked<Repeated<Columns<typeof FINDING_COLUMNS>>> = true;
const fieldsTyped: Checked<Mistyped> = true;
void [everyFieldDescribed, noFieldTwice, noColumnTwice, fieldsTyped];

/** {@link FINDING_COLUMNS} as plain column descriptions, for code that walks them. */
export const FINDING_COLUMN_LIST: readonly FindingColumn[] = FINDING_COLUMNS;

/** The columns that hold model fields, in description order. */
export const FINDING_FIELD_COLUMNS: readonly FindingFieldColumn[] = FINDING_COLUMN_LIST.filter(
  (c): c is FindingFieldColumn => c.from === 'finding',
);

const ALWAYS_HASHED: ReadonlyArray<keyof NormalizedFinding> = FINDING_FIELD_COLUMNS.filter(
  (c) => c.hashed === 'always',
).map((c) => c.field);
const HASHED_WHEN_SET = FINDING_FIELD_COLUMNS.filter((c) => c.hashed === 'when-set');
if (HASHED_WHEN_SET.some((c) => c.type !== 'custom'))
  throw new Error('only custom attributes are hashed when set');
const WHEN_SET_FIELDS: ReadonlyArray<keyof NormalizedFinding> = HASHED_WHEN_SET.map((c) => c.field);

/** The hash input of a finding: its `hashed: 'always'` fields, in order. */
const hashInput = compileFieldTuple<NormalizedFinding>(ALWAYS_HASHED);

/**
 * The finding's content hash: the `hashed: 'always'` fields in description order, then, for each
 * `'when-set'` field that holds something, the hash of that hash and the field. Everything but the
 * volatile last-seen time decides whether a stored finding must be rewritten.
 */
export function findingContentHash(f: NormalizedFinding): string {
  let hash = contentHash(hashInput(f));
  for (const field of WHEN_SET_FIELDS) {
    const value = f[field] as CustomAttributes;
    if (hasCustomAttributes(value)) hash = contentHash([hash, value]);
  }
  return hash;
}
