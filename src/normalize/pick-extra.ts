/** Fields of a record outside the modelled set, kept as "extra" so nothing MDE sends is lost. */
export function pickExtra(record: object, known: ReadonlySet<string>): Record<string, unknown> {
  let extra: Record<string, unknown> | undefined;
  for (const [k, v] of Object.entries(record)) {
    if (known.has(k) || v === undefined) continue;
    extra ??= {};
    extra[k] = v;
  }
  return extra ?? {};
}

/** Picks the "extra" fields of records; see {@link createExtraPicker}. */
export type ExtraPicker = (record: object) => Record<string, unknown>;

/**
 * {@link pickExtra} for one `known` set, for millions of records (docs/benchmarks.md#targets). Records of one
 * export share their key sequence, so which keys are extra is decided once per sequence: a record costs one
 * walk over its keys compared by identity with the last sequence seen, no `[key, value]` pair per key
 * and no set lookups. Gives exactly what {@link pickExtra} gives, for any record.
 */
export function createExtraPicker(known: ReadonlySet<string>): ExtraPicker {
  /** The enumerable keys (for-in order) of the last record whose sequence was analysed. */
  let shape: string[] = [];
  /** The keys of `shape` that are not known, in order. */
  let extraKeys: string[] = [];
  const learn = (record: object) => {
    shape = [];
    extraKeys = [];
    for (const k in record) {
      shape.push(k);
      if (!known.has(k)) extraKeys.push(k);
    }
  };
  return (record) => {
    let i = 0;
    let same = true;
    for (const k in record) {
      if (shape[i] !== k) {
        same = false;
        break;
      }
      i++;
    }
    if (!same || i !== shape.length) learn(record);
    if (extraKeys.length === 0) return {};
    let extra: Record<string, unknown> | undefined;
    for (const k of extraKeys) {
      // for-in also walks inherited keys, which Object.entries (pickExtra) leaves out.
      if (!Object.hasOwn(record, k)) continue;
      const v = (record as Record<string, unknown>)[k];
      if (v === undefined) continue;
      extra ??= {};
      extra[k] = v;
    }
    return extra ?? {};
  };
}
