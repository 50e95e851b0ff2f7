/** A property name that can be written as `record.name` in generated code. */
export function checkedPropertyName(name: string): string {
  if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new Error(`not a plain property name: ${name}`);
  return name;
}

/**
 * `(r) => [r.a, r.b, ...]` for the given fields, compiled once: hot paths read a described list of
 * fields for every row, and named property reads in generated code cost less than reads through a
 * list of keys (docs/benchmarks.md).
 */
export function compileFieldTuple<T extends object>(
  fields: ReadonlyArray<keyof T & string>,
): (record: T) => unknown[] {
  const body = `return [${fields.map((f) => `r.${checkedPropertyName(f)}`).join(', ')}];`;
  return new Function('r', body) as (record: T) => unknown[];
}
