import type { NormalizedFinding } from '../../src/normalize/model.js';
import { packedText, SNAPSHOT_ROW_COLUMNS, storedValue } from '../../src/store/findings/finding-columns.js';
import {
  encodeField,
  FindingEncoder,
  joinFields,
  joinRows,
  type SnapshotRow,
} from '../../src/store/findings/snapshot-row-codec.js';

/**
 * The snapshot codec's slow reference: a finding's row built value by value from the column
 * description, and rows encoded field by field. The writer's hot path ({@link FindingEncoder}) must
 * give the same lines.
 */
export function toSnapshotRow(f: NormalizedFinding, hostId: number | null): SnapshotRow {
  return [
    ...SNAPSHOT_ROW_COLUMNS.map((c) => (c.from === 'host' ? hostId : storedValue(c.type, f[c.field]))),
    packedText(f),
  ];
}

/** One row as one line of text. */
export function encodeRow(row: SnapshotRow): string {
  return joinFields(row.map((v) => encodeField(v ?? null)));
}

/** Many rows as one string, as a batch crosses to the writer thread. */
export function encodeRows(rows: readonly SnapshotRow[]): string {
  return joinRows(rows.map(encodeRow));
}

/** One finding's line, as {@link FindingEncoder} writes it (without its memory of the previous row). */
export function encodeFinding(f: NormalizedFinding, hostId: number | null): string {
  return new FindingEncoder().encode(f, hostId);
}
