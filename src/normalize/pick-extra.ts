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
