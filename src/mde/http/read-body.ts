/**
 * Reading response bodies with errors mapped onto the client's: a connection that drops half-way
 * through a body is a {@link NetworkError} (retryable), like one that drops before the headers.
 */
import type { Readable } from 'node:stream';
import { toNetworkError } from './http-transport.js';

/** Where the body came from, for error messages (the URL is redacted there). */
export interface BodyContext {
  method: string;
  url: string;
}

/**
 * The whole body as UTF-8 text.
 *
 * @param maxBytes stop reading after this many bytes and return what arrived (for error bodies,
 *   which are only quoted); unlimited when absent.
 * @throws NetworkError when the stream fails.
 */
export async function readBodyText(body: Readable, ctx: BodyContext, maxBytes?: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      chunks.push(buf);
      size += buf.length;
      if (maxBytes !== undefined && size >= maxBytes) {
        body.destroy();
        break;
      }
    }
  } catch (error) {
    throw toNetworkError(error, ctx.method, ctx.url);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return maxBytes !== undefined ? text.slice(0, maxBytes) : text;
}

/** Throws the body away so the connection can be reused; never throws. */
export async function discardBody(body: Readable): Promise<void> {
  try {
    for await (const _ of body) {
      // draining
    }
  } catch {
    // A broken body we did not want anyway.
  }
}
