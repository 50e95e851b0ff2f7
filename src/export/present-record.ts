// How a store row is shown in records (exports, the API): which columns hold JSON, yes/no or ids,
// and which are bookkeeping that records leave out.
import { generatedFunction, ShapeCache } from '../normalize/shape-cache.js';

/** Columns holding JSON text, parsed back into lists and objects for output. */
const JSON_COLUMNS = new Set([
  'ipAddresses',
  'macAddresses',
  'tags',
  'customAttributes',
  'machineTags',
  'diskPaths',
  'registryPaths',
  'extra',
  'exploitTypes',
  'exploitUris',
  'associatedThreats',
  'mitreTechniques',
  'relatedUser',
  'comments',
  'evidence',
  'counters',
  'options',
  // Definitions in depth (migration 0003)
  'cvssV3Components',
  'cvssV2Components',
  'referenceUrls',
  'affectedSoftware',
  'recommendationIds',
  // Machine fields, addresses by reach and package versions (migration 0010)
  'vmMetadata',
  'privateIpAddresses',
  'publicIpAddresses',
  'privateDnsNames',
  'publicDnsNames',
  'versions',
]);
/** 0/1 integers that mean yes/no. */
const BOOLEAN_COLUMNS = new Set([
  'securityUpdateAvailable',
  'publicExploit',
  'exploitVerified',
  'exploitInKit',
  'activeAlert',
  'hasUnpatchableCve',
  'isAadJoined',
  'isPotentialDuplication',
  'isExcluded',
  'cvssV3ScoreAgrees',
  'patchAvailable',
]);
/** Bookkeeping that means nothing outside the store. */
const HIDDEN_COLUMNS = new Set([
  'contentHash',
  'seenRunId',
  'stateTime',
  'identityKey',
  'findingKey',
  'installKey',
  // A machine action's MDE answer as received, kept for support.
  'raw',
  // How far a running sync got, for the API's run events (src/sync/live-progress.ts).
  'liveProgress',
  // A finding's place in the table (its device and software ids), for paging only.
  'deviceId',
  'softwareId',
]);

/** How presentRecord treats a column, by name. */
type ColumnTreatment = 'hidden' | 'json' | 'boolean' | 'id' | 'plain';
const treatments = new Map<string, ColumnTreatment>();

function treatmentOf(k: string): ColumnTreatment {
  let t = treatments.get(k);
  if (t === undefined) {
    t = HIDDEN_COLUMNS.has(k)
      ? 'hidden'
      : JSON_COLUMNS.has(k)
        ? 'json'
        : BOOLEAN_COLUMNS.has(k)
          ? 'boolean'
          : k === 'id' || k.endsWith('Id') || k === 'apiCalls'
            ? 'id'
            : 'plain';
    treatments.set(k, t);
  }
  return t;
}

const DIGITS = /^\d+$/;

/** A column's value as records show it, by the column's treatment. */
function presentValue(treatment: ColumnTreatment, v: unknown): unknown {
  if (treatment === 'json') {
    if (typeof v === 'string')
      try {
        return JSON.parse(v);
      } catch {
        return v;
      }
    return v;
  }
  if (treatment === 'boolean') return v !== null && v !== undefined ? Number(v) === 1 : v;
  // PostgreSQL returns bigint as text; ids are numbers to users.
  if (treatment === 'id' && typeof v === 'string' && DIGITS.test(v)) return Number(v);
  return v;
}

const json = (v: unknown) => presentValue('json', v);
const bool = (v: unknown) => presentValue('boolean', v);
const id = (v: unknown) => presentValue('id', v);

/** Presents one row with an id put first (a record whose table has no id column); see presentRecord. */
type Presenter = (row: Record<string, unknown>, leadingId: unknown) => Record<string, unknown>;
/** Adds one row's fields, presented and renamed, to a record; see presentInto. */
type Adder = (out: Record<string, unknown>, row: Record<string, unknown>) => Record<string, unknown>;

/** `json(r["k"])`, `bool(...)`, `id(...)` or `r["k"]`: one field's presented value in generated code. */
function valueSource(treatment: ColumnTreatment, key: string): string {
  const read = `r[${JSON.stringify(key)}]`;
  return treatment === 'plain' ? read : `${treatment === 'boolean' ? 'bool' : treatment}(${read})`;
}

/** Compiles `body` over the presenting helpers; null where code generation is not allowed. */
function compileWithHelpers<F>(body: string): F | null {
  const make = generatedFunction<(...helpers: unknown[]) => F>(['json', 'bool', 'id'], body);
  return make ? make(json, bool, id) : null;
}

/**
 * `(r, leadingId) => ({ "id": leadingId, "a": r["a"], "b": json(r["b"]), ... })` for one row shape:
 * the record is built as one object literal of a fixed shape. The generic loop adds each field to an
 * empty object, which leaves a host record (about 90 fields) in V8's slow dictionary form; building
 * and then `JSON.stringify` of such records was most of the API's CPU per hosts page
 * (docs/benchmarks.md#rest-api). Names reach the source only as JSON string literals. Null (use the
 * loop) for `__proto__`, which an object literal would take as the prototype.
 */
const presenters = new ShapeCache<Presenter>((keys, tag) => {
  if (keys.includes('__proto__')) return null;
  const fields: string[] = [];
  // The id goes first; a row with an id of its own shows that one there (as `{ id, ...record }`).
  const ownId = keys.includes('id');
  if (tag === 'id') fields.push(`"id": ${ownId ? valueSource(treatmentOf('id'), 'id') : 'leadingId'}`);
  for (const k of keys) {
    const treatment = treatmentOf(k);
    if (treatment !== 'hidden' && !(tag === 'id' && k === 'id'))
      fields.push(`${JSON.stringify(k)}: ${valueSource(treatment, k)}`);
  }
  return compileWithHelpers(`return (r, leadingId) => ({ ${fields.join(', ')} });`);
});

/**
 * A row as records show it: JSON lists parsed, 0/1 as booleans, ids as numbers, bookkeeping hidden.
 * With `leadingId`, the record starts with an `id`: that one (a record whose table has no id column),
 * or the row's own when it has one.
 */
export function presentRecord(row: Record<string, unknown>, leadingId?: unknown): Record<string, unknown> {
  const withLeadingId = leadingId !== undefined;
  const presenter = presenters.of(row, withLeadingId ? 'id' : '');
  if (presenter) return presenter(row, leadingId);
  const record = presentInto({}, row, '');
  return withLeadingId ? { id: leadingId, ...record } : record;
}

/** `prefix` + `Name` per prefix and name: every page of hosts names the same Defender fields. */
const prefixedNames = new Map<string, Map<string, string>>();

function prefixed(prefix: string, k: string): string {
  const names = prefixedNames.get(prefix) ?? new Map<string, string>();
  prefixedNames.set(prefix, names);
  const name = names.get(k) ?? `${prefix}${k.charAt(0).toUpperCase()}${k.slice(1)}`;
  names.set(k, name);
  return name;
}

/**
 * `(out, r) => { out["defenderA"] = r["a"]; out["defenderB"] = json(r["b"]); ...; return out; }` for
 * one row shape, prefix and set of left-out keys (the tag): constant names, so each assignment's
 * property cache stays monomorphic. Null (use the loop) when a name would be `__proto__`.
 */
const adders = new ShapeCache<Adder>((keys, tag) => {
  const [prefix = '', ...skip] = tag.split('\u0002');
  const lines: string[] = [];
  for (const k of keys) {
    const treatment = treatmentOf(k);
    if (treatment === 'hidden' || skip.includes(k)) continue;
    const name = prefix ? prefixed(prefix, k) : k;
    if (name === '__proto__') return null;
    lines.push(`out[${JSON.stringify(name)}] = ${valueSource(treatment, k)};`);
  }
  return compileWithHelpers(`return (out, r) => { ${lines.join(' ')} return out; };`);
});

/** The tag of a prefix and left-out keys, per set: hosts pages use the same set for every row. */
const skipTags = new WeakMap<ReadonlySet<string>, string>();

function adderTag(prefix: string, skip: ReadonlySet<string> | undefined): string {
  if (!skip) return prefix;
  let tag = skipTags.get(skip);
  if (tag === undefined) {
    tag = [...skip].join('\u0002');
    skipTags.set(skip, tag);
  }
  return `${prefix}\u0002${tag}`;
}

/**
 * Adds `row`'s fields as presentRecord shows them to `out`, their names after `prefix` (`defender`:
 * `defenderHealthStatus`), leaving out `skip`; returns `out`.
 */
export function presentInto(
  out: Record<string, unknown>,
  row: Record<string, unknown>,
  prefix: string,
  skip?: ReadonlySet<string>,
): Record<string, unknown> {
  const adder = adders.of(row, adderTag(prefix, skip));
  if (adder) return adder(out, row);
  for (const k in row) {
    const treatment = treatmentOf(k);
    if (treatment === 'hidden' || skip?.has(k)) continue;
    const name = prefix ? prefixed(prefix, k) : k;
    const value = presentValue(treatment, row[k]);
    // A `__proto__` field is data: assigned, it would set the record's prototype.
    if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, writable: true });
    else out[name] = value;
  }
  return out;
}
