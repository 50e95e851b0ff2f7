/** What `mdec export` can write (docs/operations.md). */
export const EXPORT_KINDS = [
  'hosts',
  'findings',
  'vulnerabilities',
  'software',
  'installed-software',
  'recommendations',
  'alerts',
  'runs',
  'profiles',
] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

/**
 * The kinds of records the REST API lists and exports (docs/api.md#lists): every `mdec export` kind,
 * plus machine actions and the audit log, which their own commands (`mdec action list`, `mdec audit`) write.
 */
export const RECORD_KINDS = [...EXPORT_KINDS, 'actions', 'audit'] as const;
export type RecordKind = (typeof RECORD_KINDS)[number];

export const EXPORT_FORMATS = ['json', 'ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
