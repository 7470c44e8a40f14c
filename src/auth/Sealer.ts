/**
 * Seals a short secret with the server's key (AES-256-GCM, the key derived from the
 * signing key by HKDF): a point's password is kept sealed beside its hash so its
 * invitation can be printed again. It adds nothing to what the signing key already
 * opens (whoever holds that key can make any point's join link).
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export class Sealer {
  readonly #key: Buffer;

  constructor(signingKey: Buffer) {
    this.#key = Buffer.from(
      hkdfSync('sha256', signingKey, Buffer.alloc(0), 'diemcau point passwords', 32),
    );
  }

  seal(secret: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
  }

  /** The secret, or null if it was sealed with another key (the key was changed). */
  open(sealed: string): string | null {
    const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
    if (!iv || !tag || !body) {
      return null;
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
