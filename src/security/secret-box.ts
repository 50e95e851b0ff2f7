import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Secrets at rest (design.md 7): AES-256-GCM, key from MDEC_MASTER_KEY (64 hex characters or 44
 * base64 ones) or from a key file created with mode 0600 on first use. Ciphertext format:
 * `v1:<iv>:<tag>:<data>`, base64url parts, so a future key or algorithm change can be told apart.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static fromKey(key: Buffer): SecretBox {
    if (key.length !== 32) throw new Error('the master key must be 32 bytes');
    return new SecretBox(key);
  }

  /** Uses MDEC_MASTER_KEY when set, otherwise the key file (created if missing). */
  static load(env: NodeJS.ProcessEnv, keyFile: string): SecretBox {
    const fromEnv = env.MDEC_MASTER_KEY?.trim();
    if (fromEnv) return SecretBox.fromKey(parseKey(fromEnv));
    if (!existsSync(keyFile)) {
      mkdirSync(dirname(keyFile), { recursive: true });
      writeFileSync(keyFile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    }
    const mode = statSync(keyFile).mode & 0o077;
    // A key file others can read protects nothing; tighten it rather than refuse to start.
    if (mode !== 0) chmodSync(keyFile, 0o600);
    return SecretBox.fromKey(parseKey(readFileSync(keyFile, 'utf8').trim()));
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [
      'v1',
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      data.toString('base64url'),
    ].join(':');
  }

  open(sealed: string): string {
    const [version, iv, tag, data] = sealed.split(':');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new Error('the secret cannot be decrypted: the master key differs from the one that sealed it');
    }
  }
}

function parseKey(text: string): Buffer {
  if (/^[0-9a-f]{64}$/i.test(text)) return Buffer.from(text, 'hex');
  const b = Buffer.from(text, 'base64');
  if (b.length === 32) return b;
  throw new Error('MDEC_MASTER_KEY (or the key file) must hold 32 bytes as 64 hex or 44 base64 characters');
}
