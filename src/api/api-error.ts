import { QuerySyntaxError } from '../normalize/query/query-ast.js';

/** One problem with a request, at a path such as `body.tenantId` or `querystring.limit`. */
export interface ErrorDetail {
  path: string;
  message: string;
}

/**
 * An error the API answers with as `{"error":{"code","message","details"?}}` (docs/api.md#errors):
 * the status and a stable code scripts can test; never a stack trace.
 */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 429 | 502 | 503,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
  }
}

export const badRequest = (path: string, message: string) =>
  new ApiError(400, 'bad-request', `${path}: ${message}`, [{ path, message }]);

export const notFound = (what: string) => new ApiError(404, 'not-found', `${what} not found`);

/**
 * The ApiError an error stands for: itself, or a query the language refuses (a 400 naming
 * `querystring.query`); undefined for anything else (a fault: a 500, logged).
 */
export function asApiError(err: unknown): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof QuerySyntaxError)
    return new ApiError(400, 'bad-query', `query: ${err.message}`, [
      { path: 'querystring.query', message: err.message },
    ]);
  return undefined;
}
