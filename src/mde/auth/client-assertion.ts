import { constants, createHash, createPrivateKey, randomUUID, sign, X509Certificate } from 'node:crypto';

/** The `client_assertion_type` Entra expects with a certificate credential (RFC 7523). */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' as const;

export const CLIENT_ASSERTION_ALGORITHMS = ['RS256', 'PS256'] as const;
export type ClientAssertionAlgorithm = (typeof CLIENT_ASSERTION_ALGORITHMS)[number];

export interface ClientAssertionInput {
  /** Application (client) id; it becomes both `iss` and `sub`. */
  clientId: string;
  /** The exact token endpoint the assertion is posted to; it becomes `aud`. */
  tokenUrl: string;
  /** PEM private key of the certificate registered on the app. */
  privateKeyPem: string;
  /** PEM certificate; its thumbprints go into the header so Entra can find the key. */
  certificatePem: string;
  /** Signing time in ms since the epoch; defaults to the wall clock. */
  now?: number;
  /** Assertion lifetime; Entra rejects expired ones (AADSTS700024). Defaults to 10 minutes. */
  lifetimeSeconds?: number;
  algorithm?: ClientAssertionAlgorithm;
  /** Unique id of this assertion; a random GUID by default. */
  jti?: string;
}

/**
 * Builds the signed JWT that proves possession of an app's certificate in the client-credentials
 * grant (docs/mde-api.md#sign-in: our own module instead of MSAL). The header carries both `x5t`
 * (SHA-1) and `x5t#S256` (SHA-256) thumbprints of the DER certificate, base64url, so old and new
 * Entra key lookups both work.
 *
 * @throws Error when the private key does not belong to the certificate, which Entra would report
 * only as an opaque signature failure.
 */
export function createClientAssertion(input: ClientAssertionInput): string {
  const certificate = new X509Certificate(input.certificatePem);
  const privateKey = createPrivateKey(input.privateKeyPem);
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new Error('the private key does not match the certificate');
  }
  const algorithm = input.algorithm ?? 'RS256';
  const nowSeconds = Math.floor((input.now ?? Date.now()) / 1000);
  const header = {
    alg: algorithm,
    typ: 'JWT',
    x5t: createHash('sha1').update(certificate.raw).digest('base64url'),
    'x5t#S256': createHash('sha256').update(certificate.raw).digest('base64url'),
  };
  const payload = {
    aud: input.tokenUrl,
    iss: input.clientId,
    sub: input.clientId,
    jti: input.jti ?? randomUUID(),
    nbf: nowSeconds,
    iat: nowSeconds,
    exp: nowSeconds + (input.lifetimeSeconds ?? 600),
  };
  const signingInput = `${segment(header)}.${segment(payload)}`;
  // PS256 = RSASSA-PSS, SHA-256, 32-byte salt (RFC 7518 3.5); RS256 = PKCS#1 v1.5.
  const key =
    algorithm === 'PS256'
      ? { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
      : privateKey;
  return `${signingInput}.${sign('sha256', Buffer.from(signingInput), key).toString('base64url')}`;
}

function segment(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
