import type { ExportEndpoint } from '../mde/export/export-request.js';
import type { FailedExportFile } from '../mde/export/export-snapshot-reader.js';

/** What a pass over export snapshots did not get. */
export interface ExportPassLosses {
  /** Files given up on, each described by {@link describeFailedFile}. */
  failedFiles: readonly string[];
  /** Lines that were not JSON objects and records that were not valid rows. */
  rejected: number;
}

/** "SoftwareInventoryExport file 2: why", for the run history. */
export function describeFailedFile(endpoint: ExportEndpoint, failure: FailedExportFile): string {
  return `${endpoint} file ${failure.fileIndex + 1}: ${failure.message}`;
}

/**
 * The one rule of every export pass (docs/export-files.md): it may close findings or mark software
 * removed only when it read every file to the end and every line became a row. Anything less is a
 * partial stream; the answer is the problem to record, or undefined for a complete pass.
 */
export function exportPassProblem(losses: ExportPassLosses): string | undefined {
  const parts: string[] = [];
  if (losses.failedFiles.length > 0)
    parts.push(`not every export file could be read: ${losses.failedFiles.join('; ')}`);
  if (losses.rejected > 0)
    parts.push(`${losses.rejected} ${losses.rejected === 1 ? 'row was' : 'rows were'} rejected`);
  if (parts.length === 0) return undefined;
  return `${parts.join('; ')}; so nothing was closed or marked removed`;
}
