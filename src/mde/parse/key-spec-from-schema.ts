/**
 * Derives the canonical key names of a zod schema, so that the schema itself is the single source of
 * truth for field spellings (docs/mde-api.md#vulnerability-rows: keys are matched case-insensitively against
 * it).
 */
import type * as z from 'zod';
import { createKeySpec, type KeySpec, type KeySpecShape } from './normalize-keys.js';

/** The parts of a zod 4 definition this walk reads; see `$ZodTypeDef` and its subtypes. */
interface WalkDef {
  type: string;
  shape?: Record<string, z.core.$ZodType>;
  innerType?: z.core.$ZodType;
  in?: z.core.$ZodType;
  element?: z.core.$ZodType;
  options?: readonly z.core.$ZodType[];
  getter?: () => z.core.$ZodType;
}

const cache = new WeakMap<z.core.$ZodType, KeySpec>();

/** Depth guard for recursive (lazy) schemas; MDE payloads nest three levels at most. */
const MAX_DEPTH = 8;

function defOf(schema: z.core.$ZodType): WalkDef {
  return schema._zod.def as unknown as WalkDef;
}

/** The object shape under wrappers (optional, nullable, pipe, array, ...), or null if there is none. */
function shapeOf(schema: z.core.$ZodType, depth: number): KeySpecShape | null {
  if (depth > MAX_DEPTH) return null;
  const def = defOf(schema);
  switch (def.type) {
    case 'object': {
      const shape = def.shape ?? {};
      const nested: Record<string, KeySpecShape> = {};
      for (const [key, field] of Object.entries(shape)) {
        const inner = shapeOf(field, depth + 1);
        if (inner !== null) nested[key] = inner;
      }
      return { keys: Object.keys(shape), nested };
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'catch':
    case 'readonly':
      return def.innerType === undefined ? null : shapeOf(def.innerType, depth + 1);
    case 'pipe':
      // Transforms run after validation of `in`, which is where the wire keys live.
      return def.in === undefined ? null : shapeOf(def.in, depth + 1);
    case 'array':
      return def.element === undefined ? null : shapeOf(def.element, depth + 1);
    case 'lazy':
      return def.getter === undefined ? null : shapeOf(def.getter(), depth + 1);
    case 'union': {
      // Merge the keys of every object option; the first option that nests under a key wins.
      const keys = new Set<string>();
      const nested: Record<string, KeySpecShape> = {};
      let found = false;
      for (const option of def.options ?? []) {
        const inner = shapeOf(option, depth + 1);
        if (inner === null) continue;
        found = true;
        for (const key of inner.keys) keys.add(key);
        for (const [key, value] of Object.entries(inner.nested ?? {})) nested[key] ??= value;
      }
      return found ? { keys: [...keys], nested } : null;
    }
    default:
      return null;
  }
}

/**
 * The {@link KeySpec} of a schema, built on first use and cached per schema instance, so the
 * lower-case lookup is built once per schema, never per record. A schema with no object shape gets an
 * empty spec (every key is kept as it is).
 */
export function keySpecFromSchema(schema: z.core.$ZodType): KeySpec {
  let spec = cache.get(schema);
  if (spec === undefined) {
    spec = createKeySpec(shapeOf(schema, 0) ?? { keys: [] });
    cache.set(schema, spec);
  }
  return spec;
}
