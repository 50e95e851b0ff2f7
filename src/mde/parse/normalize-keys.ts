/**
 * Case-insensitive key mapping. MDE spells the same field `OSPlatform`, `osPlatform`, `Id`, `ID`,
 * `RbacGroupId` or `CveSupportability` depending on the endpoint, the doc revision or the export file
 * (docs/mde-api.md#vulnerability-rows, #field-casing), so every incoming record is mapped onto one canonical
 * camelCase spelling before validation.
 */

/** How many distinct raw spellings one spec memoises; bounded so hostile input cannot grow it forever. */
const MAX_MEMO_ENTRIES = 4096;

/** How many distinct key sequences one spec keeps a plan for; one endpoint or export yields one or two. */
const MAX_PLANS = 32;

/**
 * The renaming of one exact key sequence, e.g. the PascalCase lines of an export file. Records of a
 * stream share their key sequence, so the per-key work is done once per sequence, not per record.
 */
interface KeyPlan {
  readonly keys: readonly string[];
  readonly targets: readonly string[];
  /** Spec of the nested object or array under each key, if any. */
  readonly nested: readonly (KeySpec | undefined)[];
  readonly hasNested: boolean;
  /** True when every key is already canonical (or unknown): the record may be returned as is. */
  readonly identity: boolean;
  /**
   * An object with the target keys in order. Spreading it then assigning each key keeps V8's fast
   * properties; adding the keys one by one to `{}` switches to a slow dictionary object, which slows
   * down the schema that reads it next (docs/benchmarks.md).
   */
  readonly template: Readonly<Record<string, undefined>>;
  /** The renaming as one generated object literal, for plans without nested specs; see {@link compileCopy}. */
  readonly copy: ((record: Record<string, unknown>) => Record<string, unknown>) | undefined;
}

/** Plans with more keys than this keep the generic loop (no record of MDE comes close). */
const MAX_COMPILED_KEYS = 200;

/**
 * A function that returns `{ [targets[i]]: record[keys[i]], ... }` as one object literal with constant
 * names. The generic loop reads and writes a different key on each step, which leaves V8's property
 * caches megamorphic; the literal is a fixed shape with monomorphic reads (docs/benchmarks.md#targets: this
 * runs on millions of export rows). Names reach the source only as JSON string literals. Undefined (the loop
 * is kept) for `__proto__`, which an object literal would take as the prototype, for huge plans, and
 * where code generation is not allowed.
 */
function compileCopy(
  keys: readonly string[],
  targets: readonly string[],
): ((record: Record<string, unknown>) => Record<string, unknown>) | undefined {
  if (keys.length > MAX_COMPILED_KEYS || targets.includes('__proto__')) return undefined;
  const fields = targets.map((target, i) => `${JSON.stringify(target)}: r[${JSON.stringify(keys[i])}]`);
  try {
    return new Function('r', `return { ${fields.join(', ')} };`) as (
      record: Record<string, unknown>,
    ) => Record<string, unknown>;
  } catch {
    // Code generation is disallowed (--disallow-code-generation-from-strings): the loop does the same.
    return undefined;
  }
}

/**
 * The canonical key names of one record shape, built once per schema and reused for every record.
 * Create it with {@link createKeySpec}; treat it as opaque.
 */
export interface KeySpec {
  /** Raw spelling → canonical name, or null for a key the shape lacks. Pre-filled, then memoised. */
  readonly lookup: Map<string, string | null>;
  /** Canonical name → spec of the object (or array of objects) found under that key. */
  readonly nested: ReadonlyMap<string, KeySpec>;
  /** Plans for the key sequences seen so far, filled lazily. */
  readonly plans: KeyPlan[];
}

/** Input to {@link createKeySpec}: canonical names, and the shapes nested under some of them. */
export interface KeySpecShape {
  readonly keys: readonly string[];
  readonly nested?: Readonly<Record<string, KeySpecShape>>;
}

/**
 * Builds the lookup for one record shape: each canonical key maps from itself and from its lower-case
 * form. Throws when two canonical keys differ only by case, since no record could tell them apart.
 */
export function createKeySpec(shape: KeySpecShape): KeySpec {
  const lookup = new Map<string, string | null>();
  for (const key of shape.keys) {
    const lower = key.toLowerCase();
    const clash = lookup.get(lower);
    if (clash !== undefined && clash !== key) {
      throw new Error(`createKeySpec: keys "${clash}" and "${key}" differ only by case`);
    }
    lookup.set(lower, key);
    lookup.set(key, key);
  }
  const nested = new Map<string, KeySpec>();
  for (const [key, inner] of Object.entries(shape.nested ?? {})) nested.set(key, createKeySpec(inner));
  return { lookup, nested, plans: [] };
}

/** Canonical name of a raw key, or null if unknown; lower-cases only spellings not seen before. */
function resolveKey(spec: KeySpec, key: string): string | null {
  const hit = spec.lookup.get(key);
  if (hit !== undefined) return hit;
  const canonical = spec.lookup.get(key.toLowerCase()) ?? null;
  if (spec.lookup.size < MAX_MEMO_ENTRIES) spec.lookup.set(key, canonical);
  return canonical;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Sets a property even when it is named `__proto__`, which plain assignment would swallow. */
function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

function normalizeNested(value: unknown, spec: KeySpec): unknown {
  if (isPlainObject(value)) return normalizeKeys(value, spec);
  if (!Array.isArray(value)) return value;
  let out: unknown[] | undefined;
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i];
    const mapped = isPlainObject(item) ? normalizeKeys(item, spec) : item;
    if (out === undefined && mapped !== item) out = value.slice(0, i);
    out?.push(mapped);
  }
  return out ?? value;
}

/** The target name of each key, applying the collision rule of {@link normalizeKeys}. */
function targetsOf(keys: readonly string[], spec: KeySpec): string[] {
  const present = new Set(keys);
  const taken = new Set<string>();
  const targets: string[] = [];
  for (const key of keys) {
    const canonical = resolveKey(spec, key);
    const target =
      canonical === null || canonical === key || present.has(canonical) || taken.has(canonical)
        ? key
        : canonical;
    taken.add(target);
    targets.push(target);
  }
  return targets;
}

function findPlan(spec: KeySpec, keys: readonly string[]): KeyPlan | undefined {
  for (const plan of spec.plans) {
    const planKeys = plan.keys;
    if (planKeys.length !== keys.length) continue;
    let i = 0;
    while (i < keys.length && planKeys[i] === keys[i]) i++;
    if (i === keys.length) return plan;
  }
  if (spec.plans.length >= MAX_PLANS) return undefined;
  const targets = targetsOf(keys, spec);
  const nested = targets.map((target) =>
    spec.lookup.get(target) === target ? spec.nested.get(target) : undefined,
  );
  const hasNested = nested.some((inner) => inner !== undefined);
  const identity = targets.every((target, i) => target === keys[i]);
  const plan: KeyPlan = {
    keys,
    targets,
    nested,
    hasNested,
    identity,
    template: Object.fromEntries(targets.map((target) => [target, undefined])),
    copy: hasNested || identity ? undefined : compileCopy(keys, targets),
  };
  spec.plans.push(plan);
  return plan;
}

/** Applies a plan: same result as {@link normalizeSlow}, without per-key lookups. */
function applyPlan(record: Record<string, unknown>, plan: KeyPlan): Record<string, unknown> {
  const { keys, targets, nested } = plan;
  if (plan.identity) {
    if (!plan.hasNested) return record;
    let changed = false;
    for (let i = 0; i < keys.length && !changed; i++) {
      const inner = nested[i];
      const value = record[keys[i]!];
      if (inner !== undefined && typeof value === 'object' && value !== null)
        changed = normalizeNested(value, inner) !== value;
    }
    if (!changed) return record;
  }
  if (plan.copy !== undefined) return plan.copy(record);
  const out: Record<string, unknown> = { ...plan.template };
  for (let i = 0; i < keys.length; i++) {
    let value = record[keys[i]!];
    const inner = nested[i];
    if (inner !== undefined && typeof value === 'object' && value !== null)
      value = normalizeNested(value, inner);
    out[targets[i]!] = value;
  }
  return out;
}

/** The general path, used once a spec holds {@link MAX_PLANS} plans (e.g. hostile, ever-changing keys). */
function normalizeSlow(
  record: Record<string, unknown>,
  keys: readonly string[],
  spec: KeySpec,
): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const value = record[key];
    const canonical = resolveKey(spec, key);
    let target = canonical ?? key;
    let mapped = value;
    if (canonical !== null && typeof value === 'object' && value !== null) {
      const inner = spec.nested.get(canonical);
      if (inner !== undefined) mapped = normalizeNested(value, inner);
    }
    if (out === undefined) {
      if (target === key && mapped === value) continue;
      // First change: copy the untouched prefix, then build the rest into the copy.
      out = {};
      for (let j = 0; j < i; j++) setKey(out, keys[j]!, record[keys[j]!]);
    }
    if (target !== key && (Object.hasOwn(record, target) || Object.hasOwn(out, target))) target = key;
    setKey(out, target, mapped);
  }
  return out ?? record;
}

/**
 * Returns the record with every known key in its canonical spelling, recursing into nested objects
 * and arrays of objects the spec describes. Unknown keys are kept as they are, so nothing is lost.
 *
 * When both a canonical key and a case variant are present (`id` and `ID`), the exact canonical key
 * wins and the variant stays under its own name; between two variants the first one wins.
 *
 * The input is never mutated. A record that is already canonical (the camelCase JSON endpoints) is
 * returned as is, without allocating a copy.
 */
export function normalizeKeys(record: Record<string, unknown>, spec: KeySpec): Record<string, unknown> {
  const keys = Object.keys(record);
  const plan = findPlan(spec, keys);
  return plan === undefined ? normalizeSlow(record, keys, spec) : applyPlan(record, plan);
}
