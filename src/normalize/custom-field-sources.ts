import { MachineSchema } from '../mde/schemas/machine.js';
import { VulnerabilityChangeRowSchema } from '../mde/schemas/vulnerability-change-row.js';
import type { CustomFieldMapping } from './custom-fields.js';

/**
 * Top-level fields MDE documents per entity (docs/mde-api.md#machine-fields, #vulnerability-rows,
 * #delta-feed), to warn about a likely typo.
 */
const KNOWN_SOURCES: Record<CustomFieldMapping['entity'], ReadonlySet<string>> = {
  host: new Set(Object.keys(MachineSchema.shape).map((k) => k.toLowerCase())),
  finding: new Set(Object.keys(VulnerabilityChangeRowSchema.shape).map((k) => k.toLowerCase())),
};

/**
 * A note when a custom field's source is not a field MDE documents: it is still read (MDE adds fields
 * without notice), but a typo is likelier. Undefined for a documented field.
 */
export function undocumentedSourceNote(field: CustomFieldMapping): string | undefined {
  const top = field.sourceField
    .split('.')[0]!
    .replace(/\[\d*\]$/, '')
    .toLowerCase();
  if (KNOWN_SOURCES[field.entity].has(top)) return undefined;
  return `"${top}" is not a field MDE documents for ${field.entity === 'host' ? 'machines' : 'vulnerability rows'}; it is read when MDE sends it`;
}
