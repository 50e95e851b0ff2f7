import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type EntraErrorKind, entraError } from './entra-error.js';
import { parseTokenPath } from './token-path.js';
import type { TokenService } from './token-service.js';

/** Token requests are a handful of short fields; anything larger is refused. */
export const TOKEN_BODY_LIMIT_BYTES = 64 * 1024;
/** Past this much the connection is dropped instead of drained, so nobody can stream forever. */
const DRAIN_LIMIT_BYTES = 1024 * 1024;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Serves `POST /{tenant}/oauth2/v2.0/token` and `POST /{tenant}/oauth2/token` (docs/mde-api.md#sign-in).
 * Returns false, touching nothing, for any other path so the caller can route it elsewhere.
 */
export async function handleEntraRequest(
  service: TokenService,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<boolean> {
  const path = parseTokenPath(url.pathname);
  if (!path) return false;
  const correlationId = clientRequestId(req.headers['client-request-id']);
  const fail = (kind: EntraErrorKind, message: string) => {
    const { status, body } = entraError(kind, message, { nowMs: service.now(), correlationId });
    sendJson(res, status, body, correlationId, kind === 'methodNotAllowed' ? { Allow: 'POST' } : {});
  };

  if (req.method !== 'POST') {
    req.resume();
    fail(
      'methodNotAllowed',
      `The endpoint only accepts POST requests. Received a ${req.method ?? 'unknown'} request.`,
    );
    return true;
  }
  const body = await readBody(req);
  if (body === 'too-large') {
    fail('requestTooLarge', `The request body exceeds ${TOKEN_BODY_LIMIT_BYTES} bytes.`);
    return true;
  }
  if (body === 'aborted') {
    if (!res.headersSent) res.destroy();
    return true;
  }
  // Entra reads only form bodies; any other content type looks like an empty form (AADSTS900144).
  const form = isFormEncoded(req.headers['content-type']) ? new URLSearchParams(body) : new URLSearchParams();
  const result = service.issueToken({
    tenantSegment: path.tenantSegment,
    endpoint: path.endpoint,
    form,
    tokenUrl: postedUrl(req, url),
    correlationId,
  });
  sendJson(res, result.status, result.body, correlationId);
  return true;
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: object,
  correlationId: string,
  extraHeaders: Record<string, string> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
    // Token answers must never be cached by proxies (RFC 6749 5.1), as Entra marks them.
    'Cache-Control': 'no-store, no-cache',
    Pragma: 'no-cache',
    'x-ms-request-id': randomUUID(),
    'client-request-id': correlationId,
    ...extraHeaders,
  });
  res.end(payload);
}

/** Reads the body as UTF-8 text; drains an oversized body so the 413 reaches the client. */
function readBody(req: IncomingMessage): Promise<string | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DRAIN_LIMIT_BYTES) {
        req.destroy();
        return;
      }
      if (size <= TOKEN_BODY_LIMIT_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      resolve(size > TOKEN_BODY_LIMIT_BYTES ? 'too-large' : Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', () => resolve('aborted'));
    req.on('close', () => {
      if (!req.complete) resolve('aborted');
    });
  });
}

/**
 * The URL as the client addressed it (Host header), which is what it puts in an assertion's `aud`;
 * the caller's `url` may carry a configured base such as 127.0.0.1 while the client used localhost.
 */
function postedUrl(req: IncomingMessage, url: URL): string {
  const host = req.headers.host;
  if (host) {
    try {
      const posted = new URL(url.pathname, `${url.protocol}//${host}`);
      if (posted.pathname === url.pathname) return `${posted.origin}${posted.pathname}`;
    } catch {
      // A malformed Host header: fall back to the caller's view.
    }
  }
  return `${url.origin}${url.pathname}`;
}

function isFormEncoded(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

function clientRequestId(header: string | string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return value && GUID.test(value.trim()) ? value.trim().toLowerCase() : randomUUID();
}
