// The site key ring: AES-256-GCM keys shared by the authority and every replica, by version.
// The authority seals with the current version; a replica opens with whichever version a
// message names, so a rotation (add a version, make it current, republish) never strands a
// replica that has the new file. Key bytes stay inside this module: no method returns them
// and the class has no enumerable key fields, so logging a SiteKeyring prints no secret.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { Ajv } from 'ajv';
import Type, { type Static } from 'typebox';

const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export const SiteKeyFileSchema = Type.Object(
  {
    current: Type.Integer({ title: 'Key version used to seal new messages', minimum: 1 }),
    keys: Type.Array(
      Type.Object(
        {
          version: Type.Integer({ minimum: 1 }),
          key: Type.String({ title: 'Base64 of 32 random bytes', pattern: '^[A-Za-z0-9+/]{43}=$' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 64 },
    ),
  },
  { additionalProperties: false, title: 'maskgate site key file (keep it 0600; never in the config file)' },
);
export type SiteKeyFile = Static<typeof SiteKeyFileSchema>;

const validateKeyFile = new Ajv({ allErrors: true, strict: false }).compile<SiteKeyFile>(SiteKeyFileSchema);

export class SiteKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SiteKeyError';
  }
}

/** What a sealed message carries besides its ciphertext. */
export interface Sealed {
  readonly keyVersion: number;
  readonly nonce: Buffer;
  /** Ciphertext followed by the 16-byte GCM tag. */
  readonly ciphertext: Buffer;
}

export class SiteKeyring {
  readonly #keys: ReadonlyMap<number, Buffer>;
  readonly currentVersion: number;

  private constructor(file: SiteKeyFile) {
    const keys = new Map<number, Buffer>();
    for (const { version, key } of file.keys) {
      if (keys.has(version)) throw new SiteKeyError(`site key version ${version} is listed twice`);
      keys.set(version, Buffer.from(key, 'base64'));
    }
    if (!keys.has(file.current)) throw new SiteKeyError(`the current site key version ${file.current} is not in the file`);
    this.#keys = keys;
    this.currentVersion = file.current;
  }

  static fromObject(raw: unknown): SiteKeyring {
    if (!validateKeyFile(raw)) {
      const problems = (validateKeyFile.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? 'invalid'}`);
      throw new SiteKeyError(`invalid site key file: ${problems.join('; ')}`);
    }
    return new SiteKeyring(raw);
  }

  /** Reads a key file; errors name the file, never its content. */
  static load(path: string): SiteKeyring {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new SiteKeyError(`cannot read site key file ${path}: ${(err as Error).name === 'SyntaxError' ? 'not JSON' : (err as Error).message}`);
    }
    return SiteKeyring.fromObject(raw);
  }

  get versions(): number[] {
    return [...this.#keys.keys()].sort((a, b) => a - b);
  }

  has(version: number): boolean {
    return this.#keys.has(version);
  }

  /** AES-256-GCM under the current key; `aad` is authenticated but not encrypted. */
  seal(plaintext: Buffer, aad: Buffer): Sealed {
    const nonce = randomBytes(NONCE_BYTES); // 96-bit random nonces: safe far beyond any gallery's message count
    const cipher = createCipheriv('aes-256-gcm', this.#keys.get(this.currentVersion)!, nonce);
    cipher.setAAD(aad);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return { keyVersion: this.currentVersion, nonce, ciphertext };
  }

  /** Throws SiteKeyError for an unknown key version or a message that fails authentication. */
  open(sealed: Sealed, aad: Buffer): Buffer {
    const key = this.#keys.get(sealed.keyVersion);
    if (!key) throw new SiteKeyError(`no site key version ${sealed.keyVersion} (have ${this.versions.join(', ')})`);
    if (sealed.nonce.length !== NONCE_BYTES || sealed.ciphertext.length < TAG_BYTES) throw new SiteKeyError('malformed sealed message');
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.nonce);
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.ciphertext.subarray(sealed.ciphertext.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(sealed.ciphertext.subarray(0, sealed.ciphertext.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new SiteKeyError(`message failed authentication under site key version ${sealed.keyVersion}`);
    }
  }

  toJSON(): { currentVersion: number; versions: number[] } {
    return { currentVersion: this.currentVersion, versions: this.versions };
  }
}

/** A key file with one fresh key (version 1), or `existing` plus a fresh current version (rotation). */
export function newSiteKeyFile(existing?: SiteKeyFile): SiteKeyFile {
  const version = existing ? Math.max(...existing.keys.map((k) => k.version)) + 1 : 1;
  const key = randomBytes(KEY_BYTES).toString('base64');
  return { current: version, keys: [...(existing?.keys ?? []), { version, key }] };
}

/** Writes a key file readable by its owner only, atomically (a crash never leaves half a key ring). */
export function writeSiteKeyFile(path: string, file: SiteKeyFile): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

export function readSiteKeyFile(path: string): SiteKeyFile {
  const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
  SiteKeyring.fromObject(raw); // validates
  return raw as SiteKeyFile;
}
