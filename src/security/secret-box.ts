import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import type { KeyFilePlan } from './master-key-file.js';

/** What a sealed value is, for messages that say which secret could not be read and how to fix it. */
export interface SealedSecretOwner {
  connector: string;
  secret: 'client secret' | 'certificate';
}

/** A sealed secret cannot be opened: no master key, or not the key that sealed it. */
export class SecretKeyError extends Error {
  readonly code = 'secret-key' as const;
}

/** The key and where it came from, as messages name it: `from MDEC_MASTER_KEY`, `in /path/to/file`. */
interface LoadedKey {
  key: Buffer;
  source: string;
}

/**
 * Secrets at rest: AES-256-GCM, key from MDEC_MASTER_KEY (64 hex characters or 44 base64 ones) or
 * from the database's key file (master-key-file.ts), created with mode 0600 the first time a secret
 * is sealed; reading never creates a key. Ciphertext format: `v1:<iv>:<tag>:<data>`, base64url parts,
 * so a future key or algorithm change can be told apart.
 */
export class SecretBox {
  private loaded: LoadedKey | undefined;

  private constructor(
    private readonly loadKey: (create: boolean) => LoadedKey | undefined,
    /** Says which key was looked for, when there is none. */
    private readonly missing: string,
  ) {}

  static fromKey(key: Buffer, source = 'given in code'): SecretBox {
    if (key.length !== 32) throw new Error('the master key must be 32 bytes');
    return new SecretBox(() => ({ key, source }), source);
  }

  /**
   * MDEC_MASTER_KEY when set, otherwise the key file of `plan`, read when first needed. `notice` hears
   * of a legacy key file taken over.
   */
  static load(env: NodeJS.ProcessEnv, plan: KeyFilePlan, notice: (message: string) => void = () => {}) {
    const fromEnv = env.MDEC_MASTER_KEY?.trim();
    if (fromEnv) {
      return new SecretBox(
        () => ({ key: parseKey(fromEnv, 'MDEC_MASTER_KEY'), source: 'from MDEC_MASTER_KEY' }),
        'MDEC_MASTER_KEY',
      );
    }
    return new SecretBox(
      (create) => loadKeyFile(plan, create, notice),
      `MDEC_MASTER_KEY is not set and ${plan.path} does not exist`,
    );
  }

  /** The key, loaded (and for sealing, created) once. */
  private key(create: boolean): LoadedKey | undefined {
    this.loaded ??= this.loadKey(create);
    return this.loaded;
  }

  seal(plain: string): string {
    const { key } = this.key(true)!;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [
      'v1',
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      data.toString('base64url'),
    ].join(':');
  }

  open(sealed: string, owner?: SealedSecretOwner): string {
    const [version, iv, tag, data] = sealed.split(':');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('not a sealed secret');
    const what = owner ? `the ${owner.secret} of connector "${owner.connector}"` : 'a stored secret';
    const loaded = this.key(false);
    if (!loaded) {
      throw new SecretKeyError(
        `cannot decrypt ${what}: no master key (${this.missing}). ${fixOf(owner, 'restore the key file from the backup taken with the database or set MDEC_MASTER_KEY')}`,
      );
    }
    const decipher = createDecipheriv('aes-256-gcm', loaded.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new SecretKeyError(
        `cannot decrypt ${what} with the master key ${loaded.source}: it is not the key that encrypted it. ${fixOf(owner, 'set the right key (MDEC_MASTER_KEY, or the key file saved with this database)')}`,
      );
    }
  }
}

function fixOf(owner: SealedSecretOwner | undefined, setKey: string): string {
  const name = owner?.connector ?? 'NAME';
  const reenter =
    owner?.secret === 'certificate'
      ? `mdec connector edit --name ${name} --certificate-file PATH`
      : `mdec connector edit --name ${name} --client-secret-env VAR`;
  return `Fix: ${setKey}, or enter the secret again with \`${reenter}\`.`;
}

/** Reads the key file of `plan`; takes over a legacy file; creates one (0600) only when `create`. */
function loadKeyFile(
  plan: KeyFilePlan,
  create: boolean,
  notice: (message: string) => void,
): LoadedKey | undefined {
  const { path, legacy } = plan;
  if (!existsSync(path) && legacy && existsSync(legacy.path)) {
    if (legacy.shared()) {
      copyFileSync(legacy.path, path);
      chmodSync(path, 0o600);
      notice(
        `copied the master key ${legacy.path} to ${path} (each database has its own key file now); ` +
          `${legacy.path} stays for the other databases that use it`,
      );
    } else {
      renameSync(legacy.path, path);
      notice(`moved the master key ${legacy.path} to ${path} (each database has its own key file now)`);
    }
  }
  if (!existsSync(path)) {
    if (!create) return undefined;
    if (plan.privateDir) mkdirSync(plan.privateDir, { recursive: true, mode: 0o700 });
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  }
  // A key file others can read protects nothing; tighten it rather than refuse to start.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return { key: parseKey(readFileSync(path, 'utf8').trim(), path), source: `in ${path}` };
}

function parseKey(text: string, source: string): Buffer {
  if (/^[0-9a-f]{64}$/i.test(text)) return Buffer.from(text, 'hex');
  const b = Buffer.from(text, 'base64');
  if (b.length === 32) return b;
  throw new SecretKeyError(`${source} must hold 32 bytes as 64 hex or 44 base64 characters`);
}
