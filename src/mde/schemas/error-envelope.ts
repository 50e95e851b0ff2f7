/** The MDE error body `{ "error": { "code", "message", "target" } }` (docs/mde-api.md#errors). */
import * as z from 'zod';
import { identity, text } from './fields.js';

/**
 * Documented error codes (docs/mde-api.md#errors), plus `ActiveRequestAlreadyExists`, which public
 * integrations match for "action already in progress" (docs/mde-api.md#machine-actions, observed). Match on
 * `code`, never on `message`.
 */
export const ERROR_CODES = [
  'BadRequest',
  'ODataError',
  'InvalidInput',
  'InvalidRequestBody',
  'InvalidHashValue',
  'InvalidDomainName',
  'InvalidIpAddress',
  'InvalidUrl',
  'MaximumBatchSizeExceeded',
  'MissingRequiredParameter',
  'OsPlatformNotSupported',
  'ClientVersionNotSupported',
  'Unauthorized',
  'Forbidden',
  'DisabledFeature',
  'DisallowedOperation',
  'NotFound',
  'ResourceNotFound',
  'TooManyRequests',
  'InternalServerError',
  'ActiveRequestAlreadyExists',
] as const;

/** The inner error object. Required: `code`. */
export const ErrorBodySchema = z.looseObject({
  code: identity(),
  /** Free text that may change; log it, don't match on it. */
  message: text(),
  /** A correlation request id, not a field name: log it. */
  target: text(),
});

/** An MDE error response body. */
export const ErrorEnvelopeSchema = z.looseObject({
  error: ErrorBodySchema,
});

/** A parsed error envelope. */
export type ErrorEnvelope = z.output<typeof ErrorEnvelopeSchema>;
