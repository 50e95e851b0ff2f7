/**
 * The console talks to the REST API only (docs/api.md). Sessions ride on the HttpOnly cookie; every
 * change sends the session's CSRF token, which the API hands out at sign-in and from /api/auth/me.
 */

/** An error answer of the API: `{"error":{"code","message","details"?}}` plus the HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Array<{ path: string; message: string }> = [],
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

let csrfToken: string | undefined;

/** Remembers the CSRF token of the current session (sign-in, /api/auth/me). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Listeners told when the API says the session has ended (401), so the console shows sign-in. */
const signedOutListeners = new Set<() => void>();
export function onSignedOut(listener: () => void): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

async function errorOf(res: Response): Promise<ApiError> {
  let body: { error?: { code?: string; message?: string; details?: ApiError['details'] } } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // Not JSON: a proxy or a crash page; say what we know without showing it.
  }
  const retry = Number(res.headers.get('retry-after'));
  return new ApiError(
    res.status,
    body.error?.code ?? 'http',
    body.error?.message ?? `the server answered ${res.status} ${res.statusText}`,
    body.error?.details ?? [],
    Number.isFinite(retry) && retry > 0 ? retry : undefined,
  );
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  body?: unknown;
  /** Sends the body as is with this content type (CSV uploads). */
  contentType?: string;
  signal?: AbortSignal;
}

/** Calls the API and returns its JSON (undefined for 204); an error answer throws ApiError. */
export async function api<T>(path: string, options: CallOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/json';
    body = options.contentType ? String(options.body) : JSON.stringify(options.body);
  }
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body !== undefined ? { body } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (!res.ok) {
    const err = await errorOf(res);
    if (res.status === 401 && !path.startsWith('/api/auth/login')) for (const l of signedOutListeners) l();
    throw err;
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** A page of a list (docs/api.md#lists). */
export interface ListPage<T = Record<string, unknown>> {
  items: T[];
  nextCursor: string | null;
  total: number;
  totalExact?: false;
}

/** Builds `path?k=v&...`, leaving out empty values. */
export function withQuery(path: string, params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const text = q.toString();
  return text ? `${path}?${text}` : path;
}

/** A user-facing line for any error: the API's message, never a stack trace. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 403 && err.code === 'forbidden') return `Not allowed: ${err.message}`;
    return err.message;
  }
  if (err instanceof TypeError) return 'The server cannot be reached. Is mdec serve running?';
  return 'Something went wrong; the server log has the details.';
}
