/**
 * Encryption at rest for secrets the server must read back (parameters marked secret, access key
 * secrets, webhook secrets): AES-256-GCM under one server key.
 *
 * The key is 32 bytes, given in base64 by the configuration or kept in `<dataDir>/secret.key`
 * (created on first start, mode 0600). Losing that file makes every sealed value unreadable, so it
 * belongs in backups; several servers sharing one database must share the key through configuration.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { NagareError } from '../../../core/errors.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';
export const SECRET_KEY_FILE = 'secret.key';

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /**
   * The key from `keyFromConfig` (base64 of 32 bytes) when given, else from `<dataDir>/secret.key`,
   * which is created with a new random key when absent. Concurrent first starts agree on one key.
   * Rejects with CONFIG_INVALID when the key is not 32 bytes of base64.
   */
  static async load(dataDir: string, keyFromConfig?: string): Promise<SecretBox> {
    if (keyFromConfig !== undefined) return new SecretBox(decodeKey(keyFromConfig, 'the configured secret key'));
    const path = join(dataDir, SECRET_KEY_FILE);
    const existing = await readKeyFile(path);
    if (existing !== undefined) return new SecretBox(existing);
    await mkdir(dataDir, { recursive: true });
    await createKeyFile(path);
    const created = await readKeyFile(path);
    if (created === undefined) throw new NagareError('CONFIG_INVALID', `${path} vanished right after it was created.`);
    return new SecretBox(created);
  }

  /** A fresh random key in the base64 form `load` accepts, for configuration. */
  static generateKey(): string {
    return randomBytes(KEY_BYTES).toString('base64');
  }

  /**
   * Encrypts with a random IV: `v1:<iv>:<tag>:<ciphertext>`, each part base64. `context`, when
   * given, is authenticated but not stored (say the secret's name), so that a sealed value copied
   * to another row does not open there.
   */
  seal(plaintext: string, context?: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    if (context !== undefined) cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ciphertext.toString('base64')].join(':');
  }

  /**
   * Decrypts what `seal` produced with the same key and context. Rejects with CONFIG_INVALID when
   * the value was altered, is not in the sealed form, or was sealed under another key: the usual
   * cause is a server started with a different secret key than the one that sealed its data.
   */
  open(sealed: string, context?: string): string {
    const parts = sealed.split(':');
    if (parts.length !== 4 || parts[0] !== VERSION) throw unreadable('it is not a v1 sealed value');
    const [iv, tag, ciphertext] = parts.slice(1).map((part) => Buffer.from(part, 'base64')) as [Buffer, Buffer, Buffer];
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw unreadable('it is not a v1 sealed value');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
      decipher.setAuthTag(tag);
      if (context !== undefined) decipher.setAAD(Buffer.from(context, 'utf8'));
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch (error) {
      throw unreadable('it was sealed under another secret key or altered', error);
    }
  }
}

function unreadable(reason: string, cause?: unknown): NagareError {
  return new NagareError(
    'CONFIG_INVALID',
    `A sealed secret cannot be opened: ${reason}. Start the server with the secret key that sealed it (secret.key in the data directory, or the configured key).`,
    { cause },
  );
}

function decodeKey(text: string, source: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES) {
    throw new NagareError('CONFIG_INVALID', `${source} must be ${KEY_BYTES} bytes in base64 (44 characters); generate one with \`openssl rand -base64 32\`.`);
  }
  return key;
}

async function readKeyFile(path: string): Promise<Buffer | undefined> {
  try {
    return decodeKey(await readFile(path, 'utf8'), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Writes a new key beside `path` and links it into place, so no reader sees a half-written key. */
async function createKeyFile(path: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temporary, 'wx', 0o600);
  try {
    await handle.writeFile(`${randomBytes(KEY_BYTES).toString('base64')}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temporary, path);
  } catch (error) {
    // Another server created it first: theirs wins, and load() reads it.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await unlink(temporary);
  }
}
