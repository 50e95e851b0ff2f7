import { ApiError, asApiError, type ErrorDetail } from './api-error.js';
import type { StoreReadName } from './store-reads.js';

/** What a read thread is started with. */
export interface ReadThreadData {
  /** The store's location as it was opened, a PostgreSQL password included: never logged. */
  location: string;
}

/** One read for a read thread: a read of STORE_READS by name, with its plain values. */
export interface ReadThreadRequest {
  id: number;
  name: StoreReadName;
  args: unknown;
}

/** How a read failed, as plain data the server's thread turns back into the error it stands for. */
export type ReadThreadFailure =
  | { kind: 'api'; status: ApiError['status']; code: string; message: string; details?: ErrorDetail[] }
  | { kind: 'fault'; message: string; stack?: string };

/** A read thread's messages: ready (its store open) or not, then one answer per request. */
export type ReadThreadReply =
  | { ready: true }
  | { ready: false; message: string }
  | { id: number; bytes: Uint8Array }
  | { id: number; failure: ReadThreadFailure };

/** A read's error as the thread reports it: the ApiError it stands for, or a fault with its stack. */
export function describeReadFailure(err: unknown): ReadThreadFailure {
  const api = asApiError(err);
  if (api)
    return {
      kind: 'api',
      status: api.status,
      code: api.code,
      message: api.message,
      ...(api.details ? { details: api.details } : {}),
    };
  const error = err instanceof Error ? err : new Error(String(err));
  return { kind: 'fault', message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
}

/** The error a read thread reported, as the server's thread throws it. */
export function readFailureError(failure: ReadThreadFailure): Error {
  if (failure.kind === 'api')
    return new ApiError(failure.status, failure.code, failure.message, failure.details);
  const error = new Error(`a read thread failed: ${failure.message}`);
  if (failure.stack) error.stack = `${error.message}\n(in the read thread) ${failure.stack}`;
  return error;
}
