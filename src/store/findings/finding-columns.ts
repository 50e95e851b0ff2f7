import type { Insertable } from 'kysely';
import { type CustomAttributes, hasCustomAttributes } from '../../normalize/custom-fields.js';
import {
  type DescribedFieldColumn,
  type DescribedFindingColumn,
  FINDING_COLUMN_LIST,
  type FINDING_COLUMNS,
  type FindingColumn,
  type FindingFieldColumn,
  type FindingValueType,
} from '../../normalize/finding-columns.js';
import type { NormalizedFinding } from '../../normalize/model.js';
import { snakeCase } from '../db/column-names.js';
import type { FindingTable } from '../db/schema.js';
import type { FindingBatchContext } from './finding-batch.js';

/**
 * The store's side of the findings column description (`normalize/finding-columns.ts`): the compiler
 * checks it against the Kysely table type, and every column list the writers and the findings
 * repository use is derived from it here, once, when the module loads.
 */

/** `true` when `Problem` is `never`; otherwise the compiler names the problem. */
type Checked<Problem> = [Problem] extends [never] ? true : { problem: Problem };

type Described = (typeof FINDING_COLUMNS)[number];

/** The stored form of a model value of `type` (`orStateTime`: never null once stored). */
type Stored<C extends DescribedFieldColumn> = C extends { orStateTime: true }
  ? NonNullable<NormalizedFinding[C['field']]>
  : C['type'] extends 'text' | 'integer' | 'real'
    ? NormalizedFinding[C['field']]
    : C['type'] extends 'flag'
      ? number | null
      : string;

/** Described columns that are columns of the table itself (not packed, not an id, not derived). */
type RealColumn = Exclude<
  Described,
  { from: 'finding'; storage: 'packed' | 'device' | 'software' | 'derived' }
>;
/** The fields of a snapshot row, by name: the carried columns and the packed text. */
export type SnapshotRowField =
  | Extract<
      Described,
      { from: 'host' } | { from: 'finding'; storage: 'column' | 'device' | 'software' }
    >['column']
  | 'packed';
/** The table's own columns that the description does not name: the ids of the key and the packed text. */
type KeyAndPacked = 'deviceId' | 'softwareId' | 'packed';

type MistypedColumn = {
  [C in DescribedFieldColumn as C['column']]: C['column'] extends keyof FindingTable
    ? Stored<C> extends FindingTable[C['column']]
      ? never
      : C['column']
    : never;
}[DescribedFieldColumn['column']];

// The description's real columns are the table's columns, with the type the table holds; nothing else
// is a column but the ids of the key and the packed text.
const noUnknownColumn: Checked<Exclude<RealColumn['column'], keyof FindingTable>> = true;
const noUndescribedColumn: Checked<Exclude<keyof FindingTable, RealColumn['column'] | KeyAndPacked>> = true;
const storedTypesMatch: Checked<MistypedColumn> = true;
void [noUnknownColumn, noUndescribedColumn, storedTypesMatch];

/**
 * A finding as every reader sees it, whatever its storage: one field per described column, with its
 * stored form (flags 1/0, lists and objects as JSON text). The findings repository reads it.
 */
export type FindingRecord = {
  [C in Described as C['column']]: C extends DescribedFieldColumn
    ? Stored<C>
    : C['column'] extends keyof FindingTable
      ? FindingTable[C['column']]
      : never;
};
const everyColumnRead: Checked<Exclude<DescribedFindingColumn, keyof FindingRecord>> = true;
void everyColumnRead;

/** A column's SQL name. */
export function sqlColumn(c: { column: string }): string {
  return snakeCase(c.column);
}

/** Whether a described column is a column of the table itself. */
export function isRealColumn(c: FindingColumn): boolean {
  return c.from !== 'finding' || c.storage === 'column';
}

/** The described columns that are columns of the table, in description order. */
export const REAL_COLUMNS: readonly FindingColumn[] = FINDING_COLUMN_LIST.filter(isRealColumn);

/** The fields held in the packed text, in description order. */
export const PACKED_COLUMNS: readonly FindingFieldColumn[] = FINDING_COLUMN_LIST.filter(
  (c): c is FindingFieldColumn => c.from === 'finding' && c.storage === 'packed',
);
// A changed finding rewrites the packed text whole, so every packed field must be one it rewrites.
if (PACKED_COLUMNS.some((c) => !c.rewrite)) throw new Error('a packed finding field must be rewritten');

/** The fields that name the device and the software version: stored as integer ids. */
export const DEVICE_COLUMN = FINDING_COLUMN_LIST.find(
  (c): c is FindingFieldColumn => c.from === 'finding' && c.storage === 'device',
)!;
export const SOFTWARE_COLUMNS: readonly FindingFieldColumn[] = FINDING_COLUMN_LIST.filter(
  (c): c is FindingFieldColumn => c.from === 'finding' && c.storage === 'software',
);

/** The key of a stored finding, in index order: the rows of one device sit together. */
export const KEY_COLUMNS = ['connectorId', 'deviceId', 'softwareId', 'cveId'] as const;

/** Every column of the table, as SQL names: the ids of the key, the real columns, the packed text. */
export const FINDING_SQL_COLUMNS: readonly string[] = [
  'device_id',
  'software_id',
  ...REAL_COLUMNS.map(sqlColumn),
  'packed',
];

/** A column a snapshot row carries: a model field stored as a column or an id, or the finding's host. */
export type SnapshotRowColumn = FindingFieldColumn | Extract<FindingColumn, { from: 'host' }>;

/**
 * The fields of a snapshot row, in description order, before its last field, the packed text: what the
 * codec carries from the sync to the SQLite writer thread. Derived fields are not carried.
 */
export const SNAPSHOT_ROW_COLUMNS: readonly SnapshotRowColumn[] = FINDING_COLUMN_LIST.filter(
  (c): c is SnapshotRowColumn =>
    c.from === 'host' || (c.from === 'finding' && c.storage !== 'packed' && c.storage !== 'derived'),
);

/** The real columns a snapshot row carries (the ones a new finding is inserted with, besides the ids). */
export const ROW_REAL_COLUMNS: readonly SnapshotRowColumn[] = SNAPSHOT_ROW_COLUMNS.filter(isRealColumn);

/** Real columns a changed finding's row takes anew (the packed text too): rewritten fields and the host. */
export const REWRITTEN_COLUMNS: readonly SnapshotRowColumn[] = ROW_REAL_COLUMNS.filter(
  (c) => c.from === 'host' || c.rewrite,
);

/** Lifecycle columns, with what a new finding starts as. */
export const LIFECYCLE_COLUMNS: ReadonlyArray<Extract<FindingColumn, { from: 'lifecycle' }>> =
  FINDING_COLUMN_LIST.filter(
    (c): c is Extract<FindingColumn, { from: 'lifecycle' }> => c.from === 'lifecycle',
  );

/** A model value as the store holds it in a column of its own. */
export function storedValue(type: FindingValueType, value: unknown): string | number | null {
  switch (type) {
    case 'flag':
      return value === null ? null : value ? 1 : 0;
    case 'paths':
    case 'json':
    case 'custom':
      return JSON.stringify(packedValue(type, value));
    default:
      return value as string | number | null;
  }
}

/** A model value as the packed text holds it: lists and objects as themselves, flags as 1/0. */
export function packedValue(type: FindingValueType, value: unknown): unknown {
  switch (type) {
    case 'flag':
      return value === null ? null : value ? 1 : 0;
    case 'custom':
      return hasCustomAttributes(value as CustomAttributes) ? value : {};
    default:
      return value;
  }
}

/** The packed text of a finding: a JSON object of its packed fields, by column name. */
export function packedText(f: NormalizedFinding): string {
  const out: Record<string, unknown> = {};
  for (const c of PACKED_COLUMNS) out[c.column] = packedValue(c.type, f[c.field]);
  return JSON.stringify(out);
}

type WriteContext = Pick<FindingBatchContext, 'connectorId' | 'seenToken' | 'at' | 'hostIdOf'>;

/** A new finding's value of a lifecycle column. */
export function initialValue(
  initial: Extract<FindingColumn, { from: 'lifecycle' }>['initial'],
  ctx: Pick<FindingBatchContext, 'connectorId' | 'seenToken' | 'at'>,
  stateTime: string,
): string | number | null {
  if (typeof initial === 'object') return initial.constant;
  switch (initial) {
    case 'connectorId':
      return ctx.connectorId;
    case 'seenToken':
      return ctx.seenToken;
    case 'stateTime':
      return stateTime;
    case 'writeTime':
      return ctx.at;
  }
}

/** A snapshot row column's stored value; `stateTime` fills an `orStateTime` column without a value. */
export function rowValue(
  c: SnapshotRowColumn,
  ctx: Pick<WriteContext, 'hostIdOf'>,
  f: NormalizedFinding,
  stateTime: string | null,
): string | number | null {
  if (c.from === 'host') return ctx.hostIdOf(f.machineId);
  const value = storedValue(c.type, f[c.field]);
  return value === null && c.orStateTime === true && stateTime !== null ? stateTime : value;
}

/** The ids a stored finding's key holds for its device and software version. */
export interface FindingIds {
  deviceId: number;
  softwareId: number;
}

/** The columns that come from MDE's row, rewritten when its content changes (host and packed text too). */
export function contentColumns(
  ctx: Pick<WriteContext, 'hostIdOf'>,
  f: NormalizedFinding,
): Partial<Insertable<FindingTable>> {
  const out: Record<string, unknown> = {};
  for (const c of REWRITTEN_COLUMNS) out[c.column] = rowValue(c, ctx, f, null);
  out.packed = packedText(f);
  return out as Partial<Insertable<FindingTable>>;
}

/** A new finding's columns, open since `stateTime`. */
export function newFindingColumns(
  ctx: WriteContext,
  f: NormalizedFinding,
  stateTime: string,
  ids: FindingIds,
): Insertable<FindingTable> {
  const out: Record<string, unknown> = { deviceId: ids.deviceId, softwareId: ids.softwareId };
  for (const c of ROW_REAL_COLUMNS) out[c.column] = rowValue(c, ctx, f, stateTime);
  for (const c of LIFECYCLE_COLUMNS) out[c.column] = initialValue(c.initial, ctx, stateTime);
  out.packed = packedText(f);
  return out as unknown as Insertable<FindingTable>;
}
