import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SimulatorState } from '../simulator-state.js';

/**
 * Export links carry a SAS-like signature instead of a bearer token (docs/mde-api.md#clouds-and-hosts,
 * #export-files): an HMAC over path and expiry, so a changed path or expiry no longer verifies.
 */
export function blobSignature(secret: Buffer, path: string, expiry: string): string {
  return createHmac('sha256', secret).update(`${path.toLowerCase()}\n${expiry}`).digest('base64');
}

export function signedBlobUrl(
  sim: Pick<SimulatorState, 'baseUrl' | 'blobSecret'>,
  path: string,
  expiry: string,
): string {
  const url = new URL(path, sim.baseUrl);
  url.searchParams.set('sv', '2020-08-04');
  url.searchParams.set('se', expiry);
  url.searchParams.set('sr', 'b');
  url.searchParams.set('sp', 'r');
  url.searchParams.set('sig', blobSignature(sim.blobSecret, path, expiry));
  return url.toString();
}

export function verifyBlobSignature(
  secret: Buffer,
  path: string,
  expiry: string,
  signature: string,
): boolean {
  const expected = Buffer.from(blobSignature(secret, path, expiry));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
