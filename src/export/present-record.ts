/**
 * How a store row is shown in records (exports, the API): which columns hold JSON, yes/no or ids,
 * and which are bookkeeping that records leave out.
 */
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

/**
 * Presenters compiled per row shape (its keys in order, and whether an id goes first). A page's rows
 * come from one query, so they share a handful of shapes; the map is emptied past its bound so an
 * unusual caller cannot grow it without end.
 */
const presenters = new Map<string, Presenter | null>();
const MAX_PRESENTERS = 256;
/** Above this many fields the generic loop is used: generated code this long gains nothing. */
const MAX_COMPILED_FIELDS = 400;

/**
 * `(r, leadingId) => ({ "id": leadingId, "a": r["a"], "b": json(r["b"]), ... })` for one row shape:
 * the record is built as one object literal of a fixed shape. The generic loop adds each field to an
 * empty object, which leaves a host record (about 90 fields) in V8's slow dictionary form; building
 * and then `JSON.stringify` of such records was most of the API's CPU per hosts page
 * (docs/benchmarks.md#rest-api). Names reach the source only as JSON string literals. Null (use the
 * loop) for `__proto__`, which an object literal would take as the prototype, for very wide rows, and
 * where code generation is not allowed.
 */
function compilePresenter(keys: readonly string[], withLeadingId: boolean): Presenter | null {
  if (keys.length > MAX_COMPILED_FIELDS || keys.includes('__proto__')) return null;
  const fields: string[] = withLeadingId ? ['"id": leadingId'] : [];
  for (const k of keys) {
    const treatment = treatmentOf(k);
    if (treatment === 'hidden') continue;
    const read = `r[${JSON.stringify(k)}]`;
    const value = treatment === 'plain' ? read : `${treatment === 'boolean' ? 'bool' : treatment}(${read})`;
    fields.push(`${JSON.stringify(k)}: ${value}`);
  }
  try {
    return new Function('json', 'bool', 'id', `return (r, leadingId) => ({ ${fields.join(', ')} });`)(
      json,
      bool,
      id,
    ) as Presenter;
  } catch {
    // Code generation is disallowed (--disallow-code-generation-from-strings): the loop does the same.
    return null;
  }
}

/** The shape presenterOf found last, checked first: a page's rows mostly share one shape. */
let last: { keys: string[]; withLeadingId: boolean; presenter: Presenter | null } | undefined;

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The compiled presenter of `row`'s shape, or null when the loop must do (see compilePresenter). */
function presenterOf(row: Record<string, unknown>, withLeadingId: boolean): Presenter | null {
  const keys = Object.keys(row);
  if (last && last.withLeadingId === withLeadingId && sameKeys(last.keys, keys)) return last.presenter;
  // A row with an id of its own keeps it (first, as `{ id, ...record }` would), so no id is put first.
  const leading = withLeadingId && !keys.includes('id');
  const shape = `${leading ? 'id\u0000' : ''}${keys.join('\u0000')}`;
  let presenter = presenters.get(shape);
  if (presenter === undefined) {
    if (presenters.size >= MAX_PRESENTERS) presenters.clear();
    presenter = compilePresenter(keys, leading);
    presenters.set(shape, presenter);
  }
  last = { keys, withLeadingId, presenter };
  return presenter;
}

/**
 * A row as records show it: JSON lists parsed, 0/1 as booleans, ids as numbers, bookkeeping hidden.
 * With `leadingId`, the record starts with that `id` (a record whose table has no id column), unless
 * the row has an `id` of its own.
 */
export function presentRecord(row: Record<string, unknown>, leadingId?: unknown): Record<string, unknown> {
  const withLeadingId = leadingId !== undefined;
  const presenter = presenterOf(row, withLeadingId);
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
 * Adds `row`'s fields as presentRecord shows them to `out`, their names after `prefix` (`defender`:
 * `defenderHealthStatus`), leaving out `skip`; returns `out`.
 */
export function presentInto(
  out: Record<string, unknown>,
  row: Record<string, unknown>,
  prefix: string,
  skip?: ReadonlySet<string>,
): Record<string, unknown> {
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
