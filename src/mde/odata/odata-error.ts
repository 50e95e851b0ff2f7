/**
 * The one error an OData query can raise. MDE answers every invalid query option with
 * 400 `ODataError` (docs/mde-api.md#errors); clients are told to match on `code`, never on `message`, so
 * the messages below only imitate MDE's (ASP.NET OData) wording to make logs look familiar.
 */
export class ODataError extends Error {
  readonly code = 'ODataError' as const;
  readonly status = 400 as const;
  readonly retryable = false as const;
  override readonly name = 'ODataError';

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** docs/mde-api.md#errors: the error envelope; `target` is the request's correlation id, not a field name. */
export interface ODataErrorBody {
  error: { code: 'ODataError'; message: string; target: string };
}

export function oDataErrorBody(err: ODataError, correlationId: string): ODataErrorBody {
  return { error: { code: err.code, message: err.message, target: correlationId } };
}

/** A `$filter` that does not parse or names something the entity does not have. */
export function invalidFilterClause(detail: string): ODataError {
  return new ODataError(`Invalid filter clause: ${detail}`);
}

/** A query that parses but asks for something the entity set does not allow. */
export function invalidQuery(detail: string): ODataError {
  return new ODataError(`The query specified in the URI is not valid. ${detail}`);
}
