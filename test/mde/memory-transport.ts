/**
 * An in-process {@link HttpTransport} for the few unit tests that need answers the simulator does not
 * give (a line that is not JSON, a repeated id, a foreign nextLink). It implements our own seam; no
 * HTTP library is mocked.
 */
import { Readable } from 'node:stream';
import type { HttpRequest, HttpResponse, HttpTransport } from '../../src/mde/http/http-transport.js';
import { NetworkError } from '../../src/mde/mde-errors.js';

/** One scripted answer: a status and body, a body that fails after some bytes, or a dropped connection. */
export type Answer =
  | { status: number; body?: string | Buffer; headers?: Record<string, string> }
  | { status: number; chunks: Buffer[]; failAfter: Error }
  | { networkError: string };

export class MemoryTransport implements HttpTransport {
  readonly requests: HttpRequest[] = [];

  constructor(private readonly answer: (req: HttpRequest, index: number) => Answer) {}

  async request(req: HttpRequest): Promise<HttpResponse> {
    this.requests.push(req);
    const a = this.answer(req, this.requests.length - 1);
    if ('networkError' in a) {
      throw new NetworkError(`GET failed: ${a.networkError}`, { errorCode: a.networkError, url: req.url });
    }
    if ('failAfter' in a) {
      const { chunks, failAfter } = a;
      let i = 0;
      const body = new Readable({
        read() {
          if (i < chunks.length) this.push(chunks[i++]);
          else this.destroy(failAfter);
        },
      });
      return { status: a.status, headers: {}, body };
    }
    const data = a.body === undefined ? Buffer.alloc(0) : Buffer.from(a.body);
    return {
      status: a.status,
      headers: { 'content-length': String(data.length), ...a.headers },
      body: Readable.from(data.length > 0 ? [data] : []),
    };
  }
}

/** JSON answer helper. */
export function json(status: number, body: unknown, headers?: Record<string, string>): Answer {
  return { status, body: JSON.stringify(body), ...(headers ? { headers } : {}) };
}
