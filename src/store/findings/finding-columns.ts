import type { Insertable } from 'kysely';
import { customAttributesText } from '../../normalize/custom-fields.js';
import {
  type DescribedFieldColumn,
  type DescribedFindingColumn,
  FINDING_COLUMN_LIST,
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
 * checks it against the Kysely table type, and every column list the writers use is derived from it
 * here, once, when the module loads.
 */

/** `true` when `Problem` is `never`; otherwise the compiler names the problem. */
type Checked<Problem> = [Problem] extends [never] ? true : { problem: Problem };

/** The stored form of a model value of `type` (`orStateTime`: never null once stored). */
type Stored<C extends DescribedFieldColumn> = C extends { orStateTime: true }
  ? NonNullable<NormalizedFinding[C['field']]>
  : C['type'] extends 'text' | 'integer' | 'real'
    ? NormalizedFinding[C['field']]
    : C['type'] extends 'flag'
      ? number | null
      : string;
type MistypedColumn = {
  [C in DescribedFieldColumn as C['column']]: C['column'] extends keyof FindingTable
    ? Stored<C> extends FindingTable[C['column']]
      ? never
      : C['column']
    : never;
}[DescribedFieldColumn['column']];

// The description names every column of the table, no other, with the type the table holds.
const noUnknownColumn: Checked<Exclude<DescribedFindingColumn, keyof FindingTable>> = true;
const noUndescribedColumn: Checked<Exclude<keyof FindingTable, DescribedFindingColumn>> = true;
const storedTypesMatch: Checked<MistypedColumn> = true;
void [noUnknownColumn, noUndescribedColumn, storedTypesMatch];

/** A column's SQL name. */
export function sqlColumn(c: { column: string }): string {
  return snakeCase(c.column);
}

/** Every column of the table, in description order, as SQL names. */
export const FINDING_SQL_COLUMNS: readonly string[] = FINDING_COLUMN_LIST.map(sqlColumn);

/** A column a snapshot row carries: a model field, or the finding's host id. */
export type SnapshotRowColumn = FindingFieldColumn | Extract<FindingColumn, { from: 'host' }>;

/**
 * The fields of a snapshot row, in description order: what the codec carries from the sync to the SQLite
 * writer thread, and the order a new finding's values are bound in.
 */
export const SNAPSHOT_ROW_COLUMNS: readonly SnapshotRowColumn[] = FINDING_COLUMN_LIST.filter(
  (c): c is SnapshotRowColumn => c.from === 'finding' || c.from === 'host',
);

/** Columns a changed finding's row takes anew: the rewritten fields and the host, in description order. */
export const REWRITTEN_COLUMNS: readonly SnapshotRowColumn[] = SNAPSHOT_ROW_COLUMNS.filter(
  (c) => c.from === 'host' || c.rewrite,
);

/** Lifecycle columns, with what a new finding starts as. */
export const LIFECYCLE_COLUMNS: ReadonlyArray<Extract<FindingColumn, { from: 'lifecycle' }>> =
  FINDING_COLUMN_LIST.filter(
    (c): c is Extract<FindingColumn, { from: 'lifecycle' }> => c.from === 'lifecycle',
  );

/** Columns a new finding is inserted with: every column but the database's row id. */
export const INSERTED_COLUMNS: readonly string[] = [...SNAPSHOT_ROW_COLUMNS, ...LIFECYCLE_COLUMNS].map(
  (c) => c.column,
);

/** A model value as the store holds it. */
export function storedValue(type: FindingValueType, value: unknown): string | number | null {
  switch (type) {
    case 'flag':
      return value === null ? null : value ? 1 : 0;
    case 'paths':
    case 'json':
      return JSON.stringify(value);
    case 'custom':
      return customAttributesText(value as NormalizedFinding['customAttributes']);
    default:
      return value as string | number | null;
  }
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

/**
 * Builds a finding's column values as one object keyed by Kysely's names, with each column list worked
 * out once.
 */
class FindingRowBuilder {
  private readonly rewritten = REWRITTEN_COLUMNS.map((c) => [c.column, c] as const);
  private readonly inserted = SNAPSHOT_ROW_COLUMNS.map((c) => [c.column, c] as const);
  private readonly lifecycle = LIFECYCLE_COLUMNS.map((c) => [c.column, c] as const);

  /** The columns a changed finding's row takes anew (its content and its host). */
  rewrittenValues(
    ctx: Pick<WriteContext, 'hostIdOf'>,
    f: NormalizedFinding,
    out: Record<string, unknown> = {},
  ) {
    for (const [name, c] of this.rewritten) out[name] = rowValue(c, ctx, f, null);
    return out;
  }

  /** A new finding's columns, open since `stateTime`. */
  newValues(ctx: WriteContext, f: NormalizedFinding, stateTime: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, c] of this.inserted) out[name] = rowValue(c, ctx, f, stateTime);
    for (const [name, c] of this.lifecycle) out[name] = initialValue(c.initial, ctx, stateTime);
    return out;
  }
}

/**
 * A snapshot row's stored values in {@link SNAPSHOT_ROW_COLUMNS} order, as a changed finding takes them
 * (an `orStateTime` column without a value stays null; a new finding fills it when inserted).
 */
export function snapshotRowValues(
  ctx: Pick<WriteContext, 'hostIdOf'>,
  f: NormalizedFinding,
): Array<string | number | null> {
  return SNAPSHOT_ROW_COLUMNS.map((c) => rowValue(c, ctx, f, null));
}

/** A snapshot row column's stored value; `stateTime` fills an `orStateTime` column without a value. */
function rowValue(
  c: SnapshotRowColumn,
  ctx: Pick<WriteContext, 'hostIdOf'>,
  f: NormalizedFinding,
  stateTime: string | null,
): string | number | null {
  if (c.from === 'host') return ctx.hostIdOf(f.machineId);
  const value = storedValue(c.type, f[c.field]);
  return value === null && c.orStateTime === true && stateTime !== null ? stateTime : value;
}

const kyselyRows = new FindingRowBuilder();

/** The columns that come from MDE's row, rewritten when its content changes (the host id included). */
export function contentColumns(
  ctx: Pick<WriteContext, 'hostIdOf'>,
  f: NormalizedFinding,
): Partial<Insertable<FindingTable>> {
  return kyselyRows.rewrittenValues(ctx, f) as Partial<Insertable<FindingTable>>;
}

/** A new finding's columns, open since `stateTime`. */
export function newFindingColumns(
  ctx: WriteContext,
  f: NormalizedFinding,
  stateTime: string,
): Insertable<FindingTable> {
  return kyselyRows.newValues(ctx, f, stateTime) as unknown as Insertable<FindingTable>;
}
