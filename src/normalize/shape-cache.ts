/** Above this many fields generated code gains nothing: callers use their generic loop instead. */
export const MAX_COMPILED_FIELDS = 400;
/** Shapes kept per cache; emptied past this bound, so unusual callers cannot grow it without end. */
const MAX_SHAPES = 256;

/**
 * Functions compiled once per row shape (its keys in order) and a variant (`tag`), for code that
 * builds objects of a fixed shape from rows (docs/benchmarks.md: constant names keep V8's objects and
 * property caches fast). A row shape with more than {@link MAX_COMPILED_FIELDS} keys, or one `compile`
 * declines, gets null: the caller's loop. The rows of one query share a handful of shapes, so the last
 * one is checked first.
 */
export class ShapeCache<F> {
  private last: { keys: string[]; tag: string; value: F | null } | undefined;
  private readonly byShape = new Map<string, F | null>();

  constructor(private readonly compile: (keys: readonly string[], tag: string) => F | null) {}

  of(row: object, tag = ''): F | null {
    const keys = Object.keys(row);
    const last = this.last;
    if (last && last.tag === tag && sameKeys(last.keys, keys)) return last.value;
    const shape = `${tag}\u0001${keys.join('\u0000')}`;
    let value = this.byShape.get(shape);
    if (value === undefined) {
      if (this.byShape.size >= MAX_SHAPES) this.byShape.clear();
      value = keys.length > MAX_COMPILED_FIELDS ? null : this.compile(keys, tag);
      this.byShape.set(shape, value);
    }
    this.last = { keys, tag, value };
    return value;
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * `new Function(...parameters, body)`, or null where code generation is disallowed
 * (--disallow-code-generation-from-strings): the caller's loop does the same work then. Names in
 * `body` must reach it only as JSON string literals.
 */
export function generatedFunction<F>(parameters: readonly string[], body: string): F | null {
  try {
    return new Function(...parameters, body) as F;
  } catch {
    return null;
  }
}
