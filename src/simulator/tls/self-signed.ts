import { createHash, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { generate } from 'selfsigned';

export interface SelfSignedOptions {
  commonName: string;
  /** DNS names and IP addresses for the subjectAltName, e.g. `localhost`, `127.0.0.1`, `::1`. */
  altNames: readonly string[];
  /** Validity from `notBefore`, in days. */
  days: number;
  /** Start of validity; defaults to now. Tests on a simulated clock may move it. */
  notBefore?: Date;
}

export interface SelfSignedCertificate {
  certPem: string;
  /** PKCS#8 PEM RSA private key. */
  keyPem: string;
}

export interface CertificateThumbprints {
  /** base64url SHA-1 of the DER certificate: the JWT `x5t` header. */
  x5t: string;
  /** base64url SHA-256 of the DER certificate: the JWT `x5t#S256` header. */
  x5tS256: string;
}

/**
 * A self-signed RSA 2048 certificate with SHA-256 signature: the simulator's HTTPS certificate
 * (clients trust it by pinning the PEM) and the certificate credentials of test app registrations.
 */
export async function generateSelfSignedCertificate(
  options: SelfSignedOptions,
): Promise<SelfSignedCertificate> {
  if (!Number.isFinite(options.days) || options.days <= 0)
    throw new RangeError('days must be a positive number');
  const notBeforeDate = options.notBefore ?? new Date();
  const notAfterDate = new Date(notBeforeDate.getTime() + options.days * 86_400_000);
  const altNames = options.altNames.map((name) =>
    isIP(name) ? { type: 7 as const, ip: name } : { type: 2 as const, value: name },
  );
  const pems = await generate([{ name: 'commonName', value: options.commonName }], {
    keySize: 2048,
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      // clientAuth too, because the same generator makes app-registration certificates.
      { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
      ...(altNames.length > 0 ? [{ name: 'subjectAltName' as const, altNames }] : []),
    ],
  });
  return { certPem: pems.cert, keyPem: pems.private };
}

/** The thumbprints Entra looks certificate credentials up by (docs/mde-api.md#sign-in, client assertions). */
export function certificateThumbprints(certPem: string): CertificateThumbprints {
  const der = new X509Certificate(certPem).raw;
  return {
    x5t: createHash('sha1').update(der).digest('base64url'),
    x5tS256: createHash('sha256').update(der).digest('base64url'),
  };
}
