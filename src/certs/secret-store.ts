// Certificates at rest: envelope encryption with AES-256-GCM. Each secret gets its own random
// data key, which is itself sealed under the operator's key; the operator's key comes from the
// configuration or from a 0600 key file in the data directory and never enters the database.
// The caller binds each secret to its row (`context`), so a sealed value copied onto another
// row does not open.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, FulcrumError } from '../errors.ts';

const FORMAT = 'fulcrum-sealed-v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const SECRET_KEY_FILE = 'secret.key';

/** A sealed value that does not open: another key, another row, or tampering. */
export class SecretUnreadable extends FulcrumError {
  constructor(message: string) {
    super('LB_ERR_SECRET_UNREADABLE', 500, message);
  }
}

function encrypt(key: Buffer, plaintext: Buffer, aad: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function decrypt(key: Buffer, sealed: Buffer, aad: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES)).setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
}

export class SecretStore {
  /** Names the key without revealing it, so a value sealed under another key is recognised. */
  readonly keyId: string;

  constructor(private readonly masterKey: Buffer) {
    if (masterKey.length !== 32) throw new ConfigError('the secret key must be 32 bytes');
    this.keyId = createHash('sha256').update('fulcrum secret key id\0').update(masterKey).digest('hex').slice(0, 16);
  }

  /** `fulcrum-sealed-v1.<key id>.<sealed data key>.<sealed text>`, all base64url. */
  seal(plaintext: string, context: string): string {
    const dataKey = randomBytes(32);
    const wrapped = encrypt(this.masterKey, dataKey, `${this.keyId}:${context}`);
    const body = encrypt(dataKey, Buffer.from(plaintext, 'utf8'), context);
    return [FORMAT, this.keyId, wrapped.toString('base64url'), body.toString('base64url')].join('.');
  }

  open(sealed: string, context: string): string {
    const [format, keyId, wrapped, body, ...rest] = sealed.split('.');
    if (format !== FORMAT || !keyId || !wrapped || !body || rest.length > 0) throw new SecretUnreadable('a stored secret is not in a format this Fulcrum reads');
    if (keyId !== this.keyId) {
      throw new SecretUnreadable(`a stored secret was sealed with another secret key (id ${keyId}, this process has ${this.keyId}); every Fulcrum process needs the same FULCRUM_SECRET_KEY`);
    }
    try {
      const dataKey = decrypt(this.masterKey, Buffer.from(wrapped, 'base64url'), `${this.keyId}:${context}`);
      return decrypt(dataKey, Buffer.from(body, 'base64url'), context).toString('utf8');
    } catch {
      throw new SecretUnreadable('a stored secret failed its integrity check (altered, or moved from another row)');
    }
  }
}

function decodeKey(text: string): Buffer {
  const value = text.trim();
  return /^[0-9a-fA-F]{64}$/.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
}

/**
 * The key file in `dataDir`, created (0600, exclusively, so two processes starting together
 * agree) when missing. A file others can read is refused rather than used.
 */
export function loadKeyFile(dataDir: string): Buffer {
  const path = join(dataDir, SECRET_KEY_FILE);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  try {
    writeFileSync(path, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) throw new ConfigError(`${path} is readable by others (mode ${mode.toString(8)}); chmod 600 it`);
  const key = decodeKey(readFileSync(path, 'utf8'));
  if (key.length !== 32) throw new ConfigError(`${path} must hold 32 bytes as base64 or hex`);
  return key;
}

const stores = new Map<string, SecretStore>();

/** The process's store: the configured key, else the data directory's key file. */
export function secretStoreFor(config: { secretKey: string | null; dataDir: string }): SecretStore {
  const source = config.secretKey !== null ? `key:${config.secretKey}` : `file:${config.dataDir}`;
  let store = stores.get(source);
  if (!store) {
    store = new SecretStore(config.secretKey !== null ? decodeKey(config.secretKey) : loadKeyFile(config.dataDir));
    stores.set(source, store);
  }
  return store;
}
