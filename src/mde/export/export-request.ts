/**
 * Asks MDE for the SAS links of a via-files export (docs/mde-api.md#export-files, #software): one call
 * returns every file of the current snapshot and its `generatedTime`, the snapshot's version key.
 */
import { isLoopbackHost } from '../cloud-endpoints.js';
import type { MdeClient, RequestOptions } from '../mde-client.js';
import { ApiError } from '../mde-errors.js';
import { parseRecord } from '../parse/parse-record.js';
import { ExportFilesResponseSchema } from '../schemas/export-files-response.js';

/** The via-files exports, under `/api/machines/`. */
export const EXPORT_ENDPOINTS = [
  'SoftwareVulnerabilitiesExport',
  'SoftwareInventoryExport',
  'SoftwareInventoryNonCpeExport',
] as const;

/** One of {@link EXPORT_ENDPOINTS}. */
export type ExportEndpoint = (typeof EXPORT_ENDPOINTS)[number];

/**
 * docs/mde-api.md#export-files, #documentation-defects: current docs allow at most 6 hours (older ones 24).
 */
export const MAX_SAS_VALID_HOURS = 6;

/** The files of one export snapshot. */
export interface ExportFiles {
  /** SAS URLs of gzip JSON-lines files; download without an Authorization header. */
  files: string[];
  /** ISO-8601 UTC time the snapshot was generated; the same within one 6-hour window. */
  generatedTime: string;
}

/** Options of {@link requestExport}. */
export interface RequestExportOptions extends RequestOptions {
  /** How long the links stay valid, 1 to 6; MDE's default is 1 hour. */
  sasValidHours?: number;
}

/**
 * Requests an export and validates the answer with the export-files schema.
 *
 * @throws RangeError for `sasValidHours` outside 1..6; ApiError when the answer is not an export
 *   response; NotLicensedError when the tenant has no TVM licence or consent.
 */
export async function requestExport(
  client: MdeClient,
  endpoint: ExportEndpoint,
  options: RequestExportOptions = {},
): Promise<ExportFiles> {
  const hours = options.sasValidHours;
  if (hours !== undefined && (!Number.isInteger(hours) || hours < 1 || hours > MAX_SAS_VALID_HOURS)) {
    throw new RangeError(`sasValidHours must be an integer from 1 to ${MAX_SAS_VALID_HOURS} (got ${hours})`);
  }
  const path = `/api/machines/${endpoint}`;
  const body = await client.getJson(
    'assessmentExport',
    path,
    hours === undefined ? undefined : { sasValidHours: hours },
    options.signal ? { signal: options.signal } : undefined,
  );
  const parsed = parseRecord(ExportFilesResponseSchema, body);
  if (!parsed.ok) {
    throw new ApiError(`GET ${path} answered an unusable export response: ${parsed.reason}`, {
      status: 200,
      method: 'GET',
      url: path,
    });
  }
  const files = parsed.value.exportFiles.filter((f) => f.trim().length > 0);
  for (const file of files) {
    if (!isDownloadableUrl(file)) {
      throw new ApiError(`GET ${path} answered an export file link that is not an https:// URL`, {
        status: 200,
        method: 'GET',
        url: path,
      });
    }
  }
  return { files, generatedTime: parsed.value.generatedTime };
}

/** A SAS link grants access by itself, so it must travel over TLS (loopback excepted). */
function isDownloadableUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname));
  } catch {
    return false;
  }
}
