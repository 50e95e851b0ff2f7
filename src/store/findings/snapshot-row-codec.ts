import { checkedPropertyName } from '../../normalize/compile-field-tuple.js';
import { customAttributesText } from '../../normalize/custom-fields.js';
import type { NormalizedFinding } from '../../normalize/model.js';
import {
  PACKED_COLUMNS,
  packedValue,
  SNAPSHOT_ROW_COLUMNS,
  type SnapshotRowField,
} from './finding-columns.js';

/**
 * A finding of a full snapshot as the SQLite writer takes it: a flat tuple of the stored values of
 * {@link SNAPSHOT_ROW_COLUMNS}, in that order, then the packed text ({@link ROW} gives each position).
 * The full sync hands batches of these to a writer thread, so that parsing and writing overlap on the
 * two cores. A batch crosses as one string, split on the other side: structured-cloning the rows
 * would cost more than storing them (docs/benchmarks.md).
 */
export type SnapshotRow = Array<string | number | null>;

/** Field positions of a {@link SnapshotRow}, by column. */
export const ROW: Readonly<Record<SnapshotRowField, number>> = Object.fromEntries([
  ...SNAPSHOT_ROW_COLUMNS.map((c, i) => [c.column, i]),
  ['packed', SNAPSHOT_ROW_COLUMNS.length],
]) as Record<SnapshotRowField, number>;

const WIDTH = SNAPSHOT_ROW_COLUMNS.length + 1;

/** How each field is encoded: one small integer per position, worked out once. */
const TEXT = 0;
const NUMBER = 1;
const FLAG = 2;
const PATHS = 3;
const JSON_TEXT = 4;
const CUSTOM = 5;
const HOST = 6;
const KIND = Uint8Array.from([...SNAPSHOT_ROW_COLUMNS, undefined], (c) => {
  // The packed text: JSON, like a json column.
  if (c === undefined) return JSON_TEXT;
  if (c.from === 'host') return HOST;
  switch (c.type) {
    case 'text':
      return TEXT;
    case 'integer':
    case 'real':
      return NUMBER;
    case 'flag':
      return FLAG;
    case 'paths':
      return PATHS;
    case 'json':
      return JSON_TEXT;
    case 'custom':
      return CUSTOM;
  }
});
/** Positions that hold numbers; every other field is text or null. */
const NUMERIC: readonly boolean[] = Array.from(KIND, (k) => k === NUMBER || k === FLAG || k === HOST);

const FIELD = '\u0001';
const RECORD = '\u0002';
const ESCAPE = '\u0003';
const NULL = '\u0000';
const SPECIAL = /[\u0000-\u0003]/;
const SPECIAL_ALL = /[\u0000-\u0003]/g;
const ESCAPED_ALL = /\u0003([0-3])/g;

/** One stored value as text of a line (the separators escaped, null as its marker). */
export function encodeField(v: string | number | null): string {
  if (v === null) return NULL;
  if (typeof v === 'number') return String(v);
  // Text from MDE may hold any character; the separators are escaped so no value can split a row.
  if (!SPECIAL.test(v)) return v;
  return escapeText(v);
}

function escapeText(v: string): string {
  return ESCAPE + v.replace(SPECIAL_ALL, (c) => ESCAPE + String(c.charCodeAt(0)));
}

function decodeText(s: string): string {
  return s.replace(ESCAPED_ALL, (_, d: string) => String.fromCharCode(Number(d)));
}

/** Encoded fields as one line (no record separator inside). */
export function joinFields(fields: readonly string[]): string {
  return fields.join(FIELD);
}

/** A text or number field as {@link encodeField} writes it, with the common types tested first. */
function encodeValue(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return NULL;
  if (typeof v === 'string') return SPECIAL.test(v) ? escapeText(v) : v;
  return encodeField(v);
}

/**
 * JSON text as {@link encodeField} writes it. JSON.stringify escapes every character below U+0020,
 * so JSON text never holds a separator and needs no test.
 */
function encodeJson(text: string | undefined): string {
  return text === undefined ? NULL : text;
}

/**
 * The JSON text of a list of paths, remembering the last list seen: consecutive rows of one installed
 * software share their disk and registry paths (about 60% of the rows of a simulated export).
 */
class ListJson {
  /** A copy of the last list, so a later change to the caller's array cannot make the memo lie. */
  private last: readonly unknown[] = [];
  private text = '[]';

  of(list: readonly unknown[]): string {
    const last = this.last;
    if (list.length === last.length) {
      let i = 0;
      while (i < list.length && typeof list[i] === 'string' && list[i] === last[i]) i++;
      if (i === list.length) return this.text;
    }
    const text = JSON.stringify(list);
    this.last = list.slice();
    this.text = text;
    return text;
  }
}

function encodeNumber(v: number | null | undefined): string {
  return v === null || v === undefined ? NULL : String(v);
}

function encodeFlag(v: boolean | null): string {
  return v === null ? NULL : v ? '1' : '0';
}

type LineEncoder = (
  f: NormalizedFinding,
  hostId: number | null,
  lists: ReadonlyArray<ListJson | undefined>,
) => string;

/** The packed text's JSON object as a JavaScript expression of `f`, one property a packed field. */
function packedExpression(): string {
  const members = PACKED_COLUMNS.map((c) => {
    const v = `f.${checkedPropertyName(c.field)}`;
    const key = JSON.stringify(c.column);
    return c.type === 'flag' || c.type === 'custom'
      ? `${key}: packed(${JSON.stringify(c.type)}, ${v})`
      : `${key}: ${v}`;
  });
  return `JSON.stringify({ ${members.join(', ')} })`;
}

/**
 * `(f, hostId, lists) => [encoded field, ...].join(separator)` for the row's columns and the packed
 * text, generated once from the description: the hot path reads each field by its name, which costs
 * less per row than reading through a list of keys (docs/benchmarks.md). `lists` holds a
 * {@link ListJson} per list position.
 */
function compileLineEncoder(): LineEncoder {
  const parts = SNAPSHOT_ROW_COLUMNS.map((c, j) => {
    if (c.from === 'host') return 'num(hostId)';
    const v = `f.${checkedPropertyName(c.field)}`;
    switch (KIND[j]) {
      case TEXT:
        return `text(${v})`;
      case NUMBER:
        return `num(${v})`;
      case FLAG:
        return `flag(${v})`;
      case PATHS:
        return `(${v}.length === 0 ? '[]' : lists[${j}].of(${v}))`;
      case JSON_TEXT:
        return `json(JSON.stringify(${v}))`;
      default:
        return `custom(${v})`;
    }
  });
  parts.push(packedExpression());
  const make = new Function(
    'text',
    'num',
    'flag',
    'json',
    'custom',
    'packed',
    'separator',
    `return function encodeLine(f, hostId, lists) { return [${parts.join(', ')}].join(separator); };`,
  );
  return make(
    encodeValue,
    encodeNumber,
    encodeFlag,
    encodeJson,
    customAttributesText,
    packedValue,
    FIELD,
  ) as LineEncoder;
}

const encodeLine = compileLineEncoder();

/**
 * A finding's line: {@link encodeField} of each stored value of {@link SNAPSHOT_ROW_COLUMNS} and the packed text, joined, in one
 * step for the hot path of the full sync (docs/benchmarks.md#targets): no tuple in between, no separator
 * test on JSON text, and the paths' JSON reused from the previous row when the paths are the same.
 */
export class FindingEncoder {
  /** One memo per list position. */
  private readonly lists: ReadonlyArray<ListJson | undefined> = Array.from(KIND, (k) =>
    k === PATHS ? new ListJson() : undefined,
  );

  encode(f: NormalizedFinding, hostId: number | null): string {
    return encodeLine(f, hostId, this.lists);
  }
}

/** Lines as one string for {@link decodeRows}. */
export function joinRows(lines: readonly string[]): string {
  return lines.join(RECORD);
}

/** Lines joined per piece: a piece of this many (~500 KB) goes straight to V8's large-object space. */
const PIECE_LINES = 512;

/**
 * The encoded lines of one batch, for {@link joinRows} at the flush. Lines are joined a piece at a
 * time, so each line dies young instead of being copied by the scavenger until the batch of 10,000 is
 * sent, then promoted and marked (garbage collection is a large share of the main thread's work;
 * docs/benchmarks.md).
 * {@link take} gives exactly `joinRows` of the lines added.
 */
export class EncodedRowBuffer {
  private pieces: string[] = [];
  private lines: string[] = [];
  private count = 0;

  /** Lines added since the last {@link take} or {@link clear}. */
  get size(): number {
    return this.count;
  }

  add(line: string): void {
    this.lines.push(line);
    this.count++;
    if (this.lines.length >= PIECE_LINES) {
      this.pieces.push(joinRows(this.lines));
      this.lines = [];
    }
  }

  /** The lines added so far as one string, and an empty buffer. */
  take(): string {
    // Joining non-empty groups, then the groups, gives the same text as joining all lines at once.
    if (this.lines.length > 0) this.pieces.push(joinRows(this.lines));
    const rows = this.pieces.length === 1 ? this.pieces[0]! : joinRows(this.pieces);
    this.clear();
    return rows;
  }

  clear(): void {
    this.pieces = [];
    this.lines = [];
    this.count = 0;
  }
}

/**
 * A copy of a text of a decoded row that holds none of its batch. V8 cuts a row's fields out of the
 * batch string without copying them, and each field keeps the whole batch (megabytes) alive for as
 * long as it lives: a field kept beyond its batch (a cache key) must be this copy, or every batch
 * stays in memory to the end of the pass (peak memory: docs/benchmarks.md#targets).
 */
export function detachedText(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string;
}

/**
 * The rows of {@link joinRows}, with numbers and nulls restored, one at a time as the consumer
 * asks: the writer thread stores each before the next is split, so a batch never exists as 10,000
 * arrays at once (peak memory: docs/benchmarks.md#targets).
 */
export function* decodeRows(encoded: string): Generator<SnapshotRow, void, undefined> {
  if (encoded.length === 0) return;
  let start = 0;
  for (let i = 0; ; i++) {
    const end = encoded.indexOf(RECORD, start);
    const line = end === -1 ? encoded.slice(start) : encoded.slice(start, end);
    yield decodeLine(line, i);
    if (end === -1) return;
    start = end + 1;
  }
}

function decodeLine(line: string, i: number): SnapshotRow {
  const fields = line.split(FIELD) as SnapshotRow;
  if (fields.length !== WIDTH) throw new Error(`snapshot row ${i} has ${fields.length} fields, not ${WIDTH}`);
  for (let j = 0; j < WIDTH; j++) {
    const s = fields[j] as string;
    if (s === NULL) fields[j] = null;
    else if (NUMERIC[j]) fields[j] = Number(s);
    else if (s.charCodeAt(0) === 3) fields[j] = decodeText(s.slice(1));
  }
  return fields;
}
