import { createPrivateKey, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  certificateThumbprints,
  generateSelfSignedCertificate,
  type SelfSignedCertificate,
} from './self-signed.js';

let pems: SelfSignedCertificate;
const notBefore = new Date(Date.UTC(2025, 0, 1));

beforeAll(async () => {
  pems = await generateSelfSignedCertificate({
    commonName: 'mde-simulator',
    altNames: ['localhost', '127.0.0.1', '::1'],
    days: 30,
    notBefore,
  });
});

describe('generateSelfSignedCertificate', () => {
  it('makes an RSA 2048 certificate for the name, the alt names and the validity asked for', () => {
    const cert = new X509Certificate(pems.certPem);
    expect(cert.subject).toContain('CN=mde-simulator');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.subjectAltName).toContain('DNS:localhost');
    expect(cert.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(cert.subjectAltName).toContain('IP Address:0:0:0:0:0:0:0:1');
    expect(new Date(cert.validFrom).getTime()).toBe(notBefore.getTime());
    expect(new Date(cert.validTo).getTime() - new Date(cert.validFrom).getTime()).toBe(30 * 86_400_000);
    expect(cert.publicKey.asymmetricKeyType).toBe('rsa');
    expect(cert.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(cert.checkPrivateKey(createPrivateKey(pems.keyPem))).toBe(true);
  });

  it('rejects a validity that is not positive', async () => {
    await expect(generateSelfSignedCertificate({ commonName: 'x', altNames: [], days: 0 })).rejects.toThrow(
      RangeError,
    );
  });

  it('serves HTTPS that a client pinning the certificate accepts by IP and by name', async () => {
    const current = await generateSelfSignedCertificate({
      commonName: 'localhost',
      altNames: ['localhost', '127.0.0.1'],
      days: 1,
    });
    const server = https.createServer({ key: current.keyPem, cert: current.certPem }, (_req, res) => {
      res.end('hello over tls');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      expect(await get({ host: '127.0.0.1', port, ca: current.certPem })).toBe('hello over tls');
      expect(await get({ host: '127.0.0.1', port, servername: 'localhost', ca: current.certPem })).toBe(
        'hello over tls',
      );
      // Without the pinned certificate the default trust store must refuse it.
      await expect(get({ host: '127.0.0.1', port })).rejects.toThrow(/self[- ]signed/i);
    } finally {
      server.close();
      server.closeAllConnections();
    }
  });
});

describe('certificateThumbprints', () => {
  it('gives base64url SHA-1 and SHA-256 of the DER certificate', () => {
    const cert = new X509Certificate(pems.certPem);
    const fromFingerprint = (colonHex: string) =>
      Buffer.from(colonHex.replaceAll(':', ''), 'hex').toString('base64url');
    expect(certificateThumbprints(pems.certPem)).toEqual({
      x5t: fromFingerprint(cert.fingerprint),
      x5tS256: fromFingerprint(cert.fingerprint256),
    });
  });

  it('throws on something that is not a certificate', () => {
    expect(() => certificateThumbprints('not a pem')).toThrow();
  });
});

function get(options: https.RequestOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = https.get({ ...options, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
  });
}
