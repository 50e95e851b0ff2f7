import type { CertificateKey, CertificateKeys } from './certificate-keys.js';
import type { EntraErrorKind } from './entra-error.js';
import { decodeJwt, isJwtAlgorithm, verifyJwtSignature } from './jwt.js';

export interface AssertionCheckInput {
  assertion: string;
  /** The `client_id` form field; `iss` and `sub` must name it. */
  clientId: string;
  certificatePems: readonly string[];
  keys: CertificateKeys;
  /** Whether `aud` names this tenant's token endpoint. */
  audienceMatches: (aud: string) => boolean;
  nowMs: number;
  clockSkewSeconds: number;
}

export type AssertionCheck = { ok: true } | { ok: false; kind: EntraErrorKind; message: string };

const CERT_DOC =
  'Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .';

/**
 * Checks a certificate client assertion the way Entra does (docs/mde-api.md#sign-in): find the registered key
 * by the header's thumbprint, verify the signature, then the claims. Key and signature come first so
 * a forged assertion learns nothing about which claims were wrong.
 */
export function checkClientAssertion(input: AssertionCheckInput): AssertionCheck {
  const jwt = decodeJwt(input.assertion);
  if (!jwt || !isJwtAlgorithm(jwt.header.alg)) return malformed();

  const sha1 = thumbprintBytes(jwt.header.x5t);
  const sha256 = thumbprintBytes(jwt.header['x5t#S256']);
  const shown = (sha1 ?? sha256)?.toString('hex').toUpperCase();
  const key = sha1 || sha256 ? input.keys.find(input.certificatePems, { sha1, sha256 }) : undefined;
  if (!key) {
    return fail(
      'assertionKeyNotFound',
      `The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., ${
        shown ? `Thumbprint of key used by client: '${shown}', ` : ''
      }${portalHint(input.clientId)}]`,
    );
  }
  if (!verifyJwtSignature(jwt, key.publicKey, jwt.header.alg)) {
    return fail(
      'assertionBadSignature',
      `Client assertion failed signature validation. [Reason - Key was found, but use of the key to verify the signature failed., Thumbprint of key used by client: '${shown}', ${foundKey(key)}, ${portalHint(input.clientId)}]`,
    );
  }

  const { iss, sub, aud, exp, nbf, jti } = jwt.payload;
  if (typeof iss !== 'string' || typeof sub !== 'string' || !isEpochSeconds(exp)) return malformed();
  if (typeof jti !== 'string' || !jti || (nbf !== undefined && !isEpochSeconds(nbf))) return malformed();
  // An array audience is rejected outright, even when it contains the right URL.
  if (typeof aud !== 'string') return malformed();
  if (iss !== sub)
    return fail('assertionSubjectMismatch', 'Subject mismatches Issuer claim in the client assertion.');
  if (sub.toLowerCase() !== input.clientId.trim().toLowerCase()) {
    return fail(
      'assertionClientMismatch',
      `Client assertion application identifier doesn't match 'client_id' parameter. ${CERT_DOC}`,
    );
  }
  if (!input.audienceMatches(aud)) {
    return fail('assertionAudienceMismatch', 'Client assertion audience claim does not match Realm issuer.');
  }

  const skewMs = input.clockSkewSeconds * 1000;
  const notBeforeMs = (nbf ?? 0) * 1000;
  if (input.nowMs > exp * 1000 + skewMs || input.nowMs < notBeforeMs - skewMs) {
    return fail(
      'assertionTimeRange',
      `Client assertion is not within its valid time range. Current time: ${ticks(input.nowMs)}, assertion valid from ${ticks(notBeforeMs)}, expiry time of assertion ${ticks(exp * 1000)}. ${CERT_DOC}`,
    );
  }
  return { ok: true };
}

/** `x5t` values are base64url; old ADAL sent padded base64, which Node's decoder also accepts. */
function thumbprintBytes(value: unknown): Buffer | undefined {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return undefined;
  const bytes = Buffer.from(value, 'base64');
  return bytes.length > 0 ? bytes : undefined;
}

/** A NumericDate a JavaScript Date can hold; anything else would make the error text throw. */
function isEpochSeconds(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) < 8.64e12;
}

function malformed(): AssertionCheck {
  return fail('malformedAssertion', 'JWT token is invalid or malformed.');
}

function fail(kind: EntraErrorKind, message: string): AssertionCheck {
  return { ok: false, kind, message };
}

function portalHint(clientId: string): string {
  return `Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${clientId}'.`;
}

function foundKey(key: CertificateKey): string {
  return `Found key 'Start=${usDate(key.validFrom)}, End=${usDate(key.validTo)}'`;
}

/** `08/18/2024 19:33:23`, the key-window format in Entra's AADSTS700027 text. */
function usDate(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** `2024-10-02T22:05:03.6755165Z`: .NET round-trip format with 7 fractional digits. */
function ticks(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}0000Z`;
}
