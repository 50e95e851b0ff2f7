import { setTimeout as sleep } from 'node:timers/promises';
import { sendJson } from './respond.js';
import { hasFault, type RouteContext } from './route.js';

const CHUNKS = 10;

/**
 * Sends a JSON answer, shaped by the body faults in force: `slow` drips it out in chunks over
 * `param` ms (default 2000), `cut-body` sends half of it and then resets the connection.
 */
export function sendBody(ctx: RouteContext, status: number, body: unknown): void {
  const slow = ctx.faults.find((f) => f.kind === 'slow');
  const cut = hasFault(ctx, 'cut-body');
  if (!slow && !cut) {
    sendJson(ctx.res, status, body);
    return;
  }
  const text = Buffer.from(JSON.stringify(body));
  ctx.res.writeHead(status, {
    'content-type': 'application/json; odata.metadata=minimal; charset=utf-8',
    'content-length': text.length,
  });
  if (cut) {
    ctx.res.write(text.subarray(0, Math.floor(text.length / 2)), () => ctx.res.socket?.destroy());
    return;
  }
  void dripBody(ctx, text, slow?.param ?? 2000);
}

async function dripBody(ctx: RouteContext, text: Buffer, totalMs: number) {
  const size = Math.ceil(text.length / CHUNKS);
  for (let i = 0; i < text.length; i += size) {
    if (ctx.res.destroyed) return;
    ctx.res.write(text.subarray(i, i + size));
    await sleep(totalMs / CHUNKS);
  }
  ctx.res.end();
}
