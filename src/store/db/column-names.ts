/** `riskChangedAt` → `risk_changed_at`: a model field as its SQL column (schema.ts, CamelCasePlugin). */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Whether two column lists are the same, in order. Hot paths find the prepared statement for a row's
 * columns this way: comparing a few names is far cheaper per row than joining them into a cache key.
 */
export function sameColumnNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((n, i) => n === b[i]);
}
