import { constants, type KeyObject, sign, verify } from 'node:crypto';

/** Entra accepts RS256 and PS256 client assertions (MSAL Node signs with PS256); tokens are RS256. */
export const JWT_ALGORITHMS = ['RS256', 'PS256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export type JsonObject = Record<string, unknown>;

export interface DecodedJwt {
  header: JsonObject;
  payload: JsonObject;
  /** `base64url(header) + '.' + base64url(payload)`, the bytes the signature covers. */
  signingInput: string;
  signature: Buffer;
}

const SEGMENT = /^[A-Za-z0-9_-]*$/;

export function isJwtAlgorithm(value: unknown): value is JwtAlgorithm {
  return typeof value === 'string' && (JWT_ALGORITHMS as readonly string[]).includes(value);
}

/** Splits and parses a compact JWS; undefined for anything that is not three base64url JSON parts. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h, p, s] = parts as [string, string, string];
  if (!h || !p || !s || !SEGMENT.test(h) || !SEGMENT.test(p) || !SEGMENT.test(s)) return undefined;
  const header = parseJsonObject(h);
  const payload = parseJsonObject(p);
  if (!header || !payload) return undefined;
  return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
}

export function signJwt(
  header: JsonObject,
  payload: JsonObject,
  privateKey: KeyObject,
  algorithm: JwtAlgorithm = 'RS256',
): string {
  const signingInput = `${encodeSegment({ ...header, alg: algorithm })}.${encodeSegment(payload)}`;
  const signature = sign('sha256', Buffer.from(signingInput), keyFor(privateKey, algorithm));
  return `${signingInput}.${signature.toString('base64url')}`;
}

/** False (never a throw) for a wrong key, a key of another type or a corrupt signature. */
export function verifyJwtSignature(jwt: DecodedJwt, publicKey: KeyObject, algorithm: JwtAlgorithm): boolean {
  if (publicKey.asymmetricKeyType !== 'rsa') return false;
  try {
    return verify('sha256', Buffer.from(jwt.signingInput), keyFor(publicKey, algorithm), jwt.signature);
  } catch {
    return false;
  }
}

function keyFor(key: KeyObject, algorithm: JwtAlgorithm) {
  // PS256 is RSASSA-PSS with SHA-256 and a 32-byte salt (RFC 7518 3.5).
  return algorithm === 'PS256' ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : key;
}

function encodeSegment(value: JsonObject): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function parseJsonObject(segment: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as JsonObject)
      : undefined;
  } catch {
    return undefined;
  }
}
