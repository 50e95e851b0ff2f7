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

export const EXPORT_FORMATS = ['json', 'ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
