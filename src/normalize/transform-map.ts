import type { CustomFieldMapping } from './custom-fields.js';
import { DEFAULT_FIELD_MAPPING } from './field-mapping.js';

/**
 * One row of the mapping download (docs/data-model.md#transform-map-and-custom-fields): default or custom.
 */
export interface MappingRow {
  entity: string;
  sourceField: string;
  dataType: string;
  targetField: string;
  note: string;
  /** `default`: the out-of-the-box map; `custom`: a custom field mapping of the connector's clone. */
  origin: 'default' | 'custom';
}

/**
 * The mapping in force for a connector: every out-of-the-box row, then its custom field mappings
 * (a cloned map keeps the default rows and adds fields). Targets read like the default rows',
 * e.g. `host.customAttributes.vmId`.
 */
export function transformMapRows(custom: readonly CustomFieldMapping[]): MappingRow[] {
  const rows: MappingRow[] = DEFAULT_FIELD_MAPPING.map((m) => ({
    entity: m.entity,
    sourceField: m.sourceField,
    dataType: m.dataType,
    targetField: m.targetField,
    note: m.note ?? '',
    origin: 'default',
  }));
  for (const c of custom) {
    rows.push({
      entity: c.entity,
      sourceField: c.sourceField,
      dataType: c.dataType,
      targetField: `${c.entity}.${c.targetField}`,
      note: 'custom field mapping',
      origin: 'custom',
    });
  }
  return rows;
}
