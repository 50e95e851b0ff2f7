import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/** Sends a JSON body with a length, so clients can tell a complete body from a cut one. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; odata.metadata=minimal; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** MDE's error envelope (docs/mde-api.md#errors): `target` carries a correlation id, not a field name. */
export function mdeErrorBody(code: string, message: string) {
  return { error: { code, message, target: randomUUID() } };
}

export function sendMdeError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
) {
  sendJson(res, status, mdeErrorBody(code, message), headers);
}

/** Thrown by route handlers to answer with MDE's error envelope. */
export class MdeHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
