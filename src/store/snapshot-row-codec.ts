import { customAttributesText } from '../normalize/custom-fields.js';
import type { NormalizedFinding } from '../normalize/model.js';

/**
 * A finding of a full snapshot as the SQLite writer binds it: a flat tuple in {@link ROW} order.
 * The full sync hands batches of these to a writer thread, so that parsing and writing overlap on the
 * two cores. A batch crosses as one string, split on the other side: structured-cloning the rows
 * would cost more than storing them (docs/benchmarks.md).
 */
export type SnapshotRow = Array<string | number | null>;

/** Field positions of a {@link SnapshotRow}. */
export const ROW = {
  machineId: 0,
  findingKey: 1,
  cveId: 2,
  softwareVendor: 3,
  softwareName: 4,
  softwareVersion: 5,
  name: 6,
  sourceSeverity: 7,
  severity: 8,
  score: 9,
  firstSeen: 10,
  securityUpdateAvailable: 11,
  recommendedSecurityUpdate: 12,
  recommendedSecurityUpdateId: 13,
  recommendedSecurityUpdateUrl: 14,
  diskPaths: 15,
  registryPaths: 16,
  exploitabilityLevel: 17,
  recommendationReference: 18,
  rbacGroupId: 19,
  rbacGroupName: 20,
  cvssScore: 21,
  contentHash: 22,
  extra: 23,
  hostId: 24,
  customAttributes: 25,
} as const;

const WIDTH = 26;
/** Fields that hold numbers; every other field is text or null. */
const NUMERIC = new Set<number>([
  ROW.severity,
  ROW.score,
  ROW.securityUpdateAvailable,
  ROW.rbacGroupId,
  ROW.cvssScore,
  ROW.hostId,
]);

const FIELD = '\u0001';
const RECORD = '\u0002';
const ESCAPE = '\u0003';
const NULL = '\u0000';
const SPECIAL = /[\u0000-\u0003]/;
const SPECIAL_ALL = /[\u0000-\u0003]/g;
const ESCAPED_ALL = /\u0003([0-3])/g;

/** The tuple of one finding; lists and objects become JSON text here, once. */
export function toSnapshotRow(f: NormalizedFinding, hostId: number | null): SnapshotRow {
  return [
    f.machineId,
    f.findingKey,
    f.cveId,
    f.softwareVendor,
    f.softwareName,
    f.softwareVersion,
    f.name,
    f.sourceSeverity,
    f.severity,
    f.score,
    f.firstSeen,
    f.securityUpdateAvailable === null ? null : f.securityUpdateAvailable ? 1 : 0,
    f.recommendedSecurityUpdate,
    f.recommendedSecurityUpdateId,
    f.recommendedSecurityUpdateUrl,
    f.diskPaths.length === 0 ? '[]' : JSON.stringify(f.diskPaths),
    f.registryPaths.length === 0 ? '[]' : JSON.stringify(f.registryPaths),
    f.exploitabilityLevel,
    f.recommendationReference,
    f.rbacGroupId,
    f.rbacGroupName,
    f.cvssScore,
    f.contentHash,
    JSON.stringify(f.extra),
    hostId,
    customAttributesText(f.customAttributes),
  ];
}

function encodeField(v: string | number | null): string {
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

/** One row as one line of text (no record separator inside). */
export function encodeRow(row: SnapshotRow): string {
  const fields = new Array<string>(WIDTH);
  for (let j = 0; j < WIDTH; j++) fields[j] = encodeField(row[j] ?? null);
  // join gives one flat string; `+=` would keep a rope of 50 pieces alive until the batch is sent.
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

/**
 * `encodeRow(toSnapshotRow(f, hostId))` in one step, for the hot path of the full sync
 * (docs/benchmarks.md#targets): no tuple in between, no separator test on JSON text, and the paths' JSON
 * reused from the previous row when the paths are the same. Gives the same line for any finding.
 */
export class FindingEncoder {
  private readonly diskPaths = new ListJson();
  private readonly registryPaths = new ListJson();

  encode(f: NormalizedFinding, hostId: number | null): string {
    return [
      encodeValue(f.machineId),
      encodeValue(f.findingKey),
      encodeValue(f.cveId),
      encodeValue(f.softwareVendor),
      encodeValue(f.softwareName),
      encodeValue(f.softwareVersion),
      encodeValue(f.name),
      encodeValue(f.sourceSeverity),
      encodeValue(f.severity),
      encodeValue(f.score),
      encodeValue(f.firstSeen),
      f.securityUpdateAvailable === null ? NULL : f.securityUpdateAvailable ? '1' : '0',
      encodeValue(f.recommendedSecurityUpdate),
      encodeValue(f.recommendedSecurityUpdateId),
      encodeValue(f.recommendedSecurityUpdateUrl),
      f.diskPaths.length === 0 ? '[]' : this.diskPaths.of(f.diskPaths),
      f.registryPaths.length === 0 ? '[]' : this.registryPaths.of(f.registryPaths),
      encodeValue(f.exploitabilityLevel),
      encodeValue(f.recommendationReference),
      encodeValue(f.rbacGroupId),
      encodeValue(f.rbacGroupName),
      encodeValue(f.cvssScore),
      encodeValue(f.contentHash),
      encodeJson(JSON.stringify(f.extra)),
      encodeValue(hostId),
      customAttributesText(f.customAttributes),
    ].join(FIELD);
  }
}

/** One finding's line, as {@link FindingEncoder} writes it (without its memory of the previous row). */
export function encodeFinding(f: NormalizedFinding, hostId: number | null): string {
  return new FindingEncoder().encode(f, hostId);
}

/** Lines of {@link encodeRow} as one string for {@link decodeRows}. */
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

/** Many rows as one string. */
export function encodeRows(rows: readonly SnapshotRow[]): string {
  return joinRows(rows.map(encodeRow));
}

/**
 * The rows of {@link encodeRows}, with numbers and nulls restored, one at a time as the consumer
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
    else if (NUMERIC.has(j)) fields[j] = Number(s);
    else if (s.charCodeAt(0) === 3) fields[j] = decodeText(s.slice(1));
  }
  return fields;
}
