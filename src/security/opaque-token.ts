import { createHash, randomBytes } from 'node:crypto';

/**
 * A random secret handed to a browser (session cookie) or a script (API token): 32 random bytes,
 * base64url, behind a short prefix that says what it is. Only its SHA-256 is stored: the secret
 * itself has enough entropy that a salted slow hash would add nothing.
 */
export function newOpaqueToken(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** The stored form of a token: SHA-256, hex. */
export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
