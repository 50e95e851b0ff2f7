/**
 * Request bodies of the machine-action endpoints (docs/mde-api.md#machine-actions). Unlike responses, MDE
 * matches these parameter names case-sensitively (docs/mde-api.md#errors: a wrong case gives
 * `InvalidRequestBody`), so parse them without key normalisation, and the enumerations are closed: MDE
 * rejects other values.
 */
import * as z from 'zod';

/** `IsolationType` values of `POST /api/machines/{id}/isolate`. */
export const ISOLATION_TYPES = ['Full', 'Selective', 'UnManagedDevice'] as const;

/** `ScanType` values of `POST /api/machines/{id}/runAntiVirusScan`. */
export const SCAN_TYPES = ['Quick', 'Full'] as const;

/** Body of `POST /api/machines/{id}/isolate`; `Comment` is required. */
export const IsolateRequestSchema = z.looseObject({
  Comment: z.string(),
  IsolationType: z.enum(ISOLATION_TYPES).optional(),
});

/** Body of `POST /api/machines/{id}/unisolate` and of `POST /api/machineactions/{id}/cancel`. */
export const CommentRequestSchema = z.looseObject({
  Comment: z.string(),
});

/** Body of `POST /api/machines/{id}/runAntiVirusScan`; both fields are required. */
export const RunAntiVirusScanRequestSchema = z.looseObject({
  Comment: z.string(),
  ScanType: z.enum(SCAN_TYPES),
});

/** A parsed isolate request body. */
export type IsolateRequest = z.output<typeof IsolateRequestSchema>;
/** A parsed unisolate or cancel request body. */
export type CommentRequest = z.output<typeof CommentRequestSchema>;
/** A parsed antivirus-scan request body. */
export type RunAntiVirusScanRequest = z.output<typeof RunAntiVirusScanRequestSchema>;
