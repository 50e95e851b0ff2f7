import { randomUUID } from 'node:crypto';

/**
 * The token endpoint's failures: OAuth `error`, AADSTS number and HTTP status, as Entra answers a
 * client-credentials request (codes from Microsoft's AADSTS reference and captured real responses).
 */
export const ENTRA_ERRORS = {
  missingParameter: { error: 'invalid_request', code: 900144, status: 400 },
  unsupportedGrantType: { error: 'unsupported_grant_type', code: 70003, status: 400 },
  tenantNotFound: { error: 'invalid_request', code: 90002, status: 400 },
  applicationNotFound: { error: 'unauthorized_client', code: 700016, status: 400 },
  missingClientCredential: { error: 'invalid_client', code: 7000218, status: 401 },
  invalidClientSecret: { error: 'invalid_client', code: 7000215, status: 401 },
  unexpectedAssertionType: { error: 'invalid_request', code: 90011, status: 400 },
  malformedAssertion: { error: 'invalid_request', code: 50027, status: 400 },
  assertionKeyNotFound: { error: 'invalid_client', code: 700027, status: 401 },
  assertionBadSignature: { error: 'invalid_client', code: 700027, status: 401 },
  assertionSubjectMismatch: { error: 'invalid_client', code: 50048, status: 401 },
  assertionClientMismatch: { error: 'invalid_client', code: 700021, status: 401 },
  assertionAudienceMismatch: { error: 'invalid_client', code: 50012, status: 401 },
  assertionTimeRange: { error: 'invalid_client', code: 700024, status: 401 },
  scopeNotDefault: { error: 'invalid_scope', code: 1002012, status: 400 },
  invalidScope: { error: 'invalid_scope', code: 70011, status: 400 },
  resourceNotFound: { error: 'invalid_resource', code: 500011, status: 400 },
  consentMissing: { error: 'invalid_grant', code: 65001, status: 400 },
  // Entra answers 400 here; the simulator uses 405 so HTTP tooling sees the real problem.
  methodNotAllowed: { error: 'invalid_request', code: 900561, status: 405 },
  requestTooLarge: { error: 'invalid_request', code: 90004, status: 413 },
} as const satisfies Record<string, { error: string; code: number; status: number }>;

export type EntraErrorKind = keyof typeof ENTRA_ERRORS;

/** Entra's error body, field for field (reference-error-codes.md, "Handling error codes"). */
export interface EntraErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
}

export interface EntraErrorResponse {
  status: number;
  body: EntraErrorBody;
}

export interface EntraErrorContext {
  nowMs: number;
  /** Echo of the client's `client-request-id`; a fresh GUID otherwise, as Entra does. */
  correlationId?: string;
}

export function entraError(
  kind: EntraErrorKind,
  message: string,
  ctx: EntraErrorContext,
): EntraErrorResponse {
  const { error, code, status } = ENTRA_ERRORS[kind];
  const timestamp = entraTimestamp(ctx.nowMs);
  const traceId = randomUUID();
  const correlationId = ctx.correlationId ?? randomUUID();
  return {
    status,
    body: {
      error,
      error_description: `AADSTS${code}: ${message} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  };
}

/** `2023-05-06 06:03:00Z`: Entra's timestamp shape, seconds precision. */
export function entraTimestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}Z`;
}
