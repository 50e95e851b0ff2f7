/**
 * `$select` projection. MDE does not document `$select` for these sets; the simulator accepts the
 * simple form (a list of top-level properties) so clients that trim payloads keep working.
 */
export function applySelect(
  record: Readonly<Record<string, unknown>>,
  select: readonly string[] | undefined,
): Record<string, unknown> {
  if (!select) return { ...record };
  const projected: Record<string, unknown> = {};
  // A selected property the record lacks is sent as null, as OData does for a declared property.
  for (const name of select) projected[name] = name in record ? record[name] : null;
  return projected;
}
