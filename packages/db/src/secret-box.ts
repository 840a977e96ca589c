import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** The key used when `PARLEY_SECRET_KEY` is not set: fine for a local trial only. */
export const DEV_SECRET_KEY = 'parley-dev-secret-change-me';

const SEALED = /^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]*$/;

/**
 * AES-256-GCM for secrets at rest (trunk passwords, webhook signing secrets, HTTP tool headers). The key comes from
 * `PARLEY_SECRET_KEY` (any string; hashed to 32 bytes). During a key rotation `PARLEY_SECRET_KEY_PREVIOUS` still
 * opens what the old key sealed, until `pnpm parley secrets reseal` has sealed everything under the current key.
 * Format: `v1:<iv b64>:<tag b64>:<ciphertext b64>`.
 */
export class SecretBox {
  private readonly key: Buffer;
  private readonly previousKey: Buffer | null;

  constructor(secret: string, previous?: string | null) {
    if (!secret) throw new Error('SecretBox needs a non-empty secret (PARLEY_SECRET_KEY)');
    this.key = deriveKey(secret);
    this.previousKey = previous ? deriveKey(previous) : null;
  }

  /** Whether a stored value has the sealed format (a plaintext secret from before encryption does not). */
  static isSealed(value: string): boolean {
    return SEALED.test(value);
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `v1:${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${ct.toString('base64')}`;
  }

  /** The plaintext, opened with the current key or else the previous one; throws if neither opens it. */
  open(sealed: string): string {
    const opened = this.tryOpen(sealed, this.key) ?? (this.previousKey && this.tryOpen(sealed, this.previousKey));
    if (opened === null || opened === undefined) throw new Error(this.previousKey ? 'secret opens with neither PARLEY_SECRET_KEY nor PARLEY_SECRET_KEY_PREVIOUS' : 'secret does not open with PARLEY_SECRET_KEY');
    return opened;
  }

  /** Whether the current key (not the previous one) sealed it: such a value needs no resealing. */
  sealedWithCurrentKey(sealed: string): boolean {
    return this.tryOpen(sealed, this.key) !== null;
  }

  private tryOpen(sealed: string, key: Buffer): string | null {
    const [version, iv, tag, ct] = sealed.split(':');
    if (version !== 'v1' || !iv || !tag || ct === undefined) throw new Error('not a sealed secret');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
      decipher.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      return null; // wrong key: the tag does not verify
    }
  }
}

/** The box the services build from their environment (`PARLEY_SECRET_KEY`, `PARLEY_SECRET_KEY_PREVIOUS`), with the same default. */
export function secretBoxFromEnv(env: NodeJS.ProcessEnv = process.env): SecretBox {
  return new SecretBox(env.PARLEY_SECRET_KEY || DEV_SECRET_KEY, env.PARLEY_SECRET_KEY_PREVIOUS || null);
}

function deriveKey(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}
