/**
 * The via-files export response of `SoftwareVulnerabilitiesExport`, `SoftwareInventoryExport` and
 * `SoftwareInventoryNonCpeExport` (docs/mde-api.md#export-files).
 */
import * as z from 'zod';
import { requiredTimestamp } from './fields.js';

/**
 * The SAS URLs of one export snapshot. Both fields are required: without `exportFiles` there is
 * nothing to download, and `generatedTime` is the snapshot version key (docs/mde-api.md#export-files).
 */
export const ExportFilesResponseSchema = z.looseObject({
  /** Gzip JSON-lines files; fetch them without an Authorization header (the SAS is in the URL). */
  exportFiles: z.array(z.string()),
  generatedTime: requiredTimestamp(),
});

/** A parsed export response. */
export type ExportFilesResponse = z.output<typeof ExportFilesResponseSchema>;
/** An export response as MDE sends it. */
export type ExportFilesResponseInput = z.input<typeof ExportFilesResponseSchema>;
