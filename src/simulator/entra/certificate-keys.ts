import { createHash, type KeyObject, X509Certificate } from 'node:crypto';

/** A registered certificate credential, parsed once: the key and both thumbprints Entra looks keys up by. */
export interface CertificateKey {
  publicKey: KeyObject;
  sha1: Buffer;
  sha256: Buffer;
  validFrom: Date;
  validTo: Date;
}

/**
 * Parses the apps' PEM certificates lazily and remembers them by PEM text, because app registrations
 * are plain arrays that tests may change between requests. A PEM that does not parse is skipped,
 * as Entra would never have accepted it as a key credential.
 */
export class CertificateKeys {
  private readonly cache = new Map<string, CertificateKey | null>();

  /** The registered certificate whose thumbprint matches the assertion header, if any. */
  find(
    certificatePems: readonly string[],
    thumbprint: { sha1?: Buffer; sha256?: Buffer },
  ): CertificateKey | undefined {
    for (const pem of certificatePems) {
      const key = this.parse(pem);
      if (!key) continue;
      if (thumbprint.sha256?.equals(key.sha256) || thumbprint.sha1?.equals(key.sha1)) return key;
    }
    return undefined;
  }

  private parse(pem: string): CertificateKey | null {
    let key = this.cache.get(pem);
    if (key === undefined) {
      key = parseCertificate(pem);
      this.cache.set(pem, key);
    }
    return key;
  }
}

function parseCertificate(pem: string): CertificateKey | null {
  try {
    const cert = new X509Certificate(pem);
    return {
      publicKey: cert.publicKey,
      sha1: createHash('sha1').update(cert.raw).digest(),
      sha256: createHash('sha256').update(cert.raw).digest(),
      validFrom: new Date(cert.validFrom),
      validTo: new Date(cert.validTo),
    };
  } catch {
    return null;
  }
}
