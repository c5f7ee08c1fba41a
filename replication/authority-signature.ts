// The authority's Ed25519 signature over every change: the site key proves a message comes
// from someone holding the key ring, the signature that it comes from the authority itself, so
// a replica whose key ring leaked still cannot be used to push people to the other doors.
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

export class SignatureKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SignatureKeyError';
  }
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new SignatureKeyError(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

function requireEd25519(key: KeyObject, path: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw new SignatureKeyError(`${path} is not an Ed25519 key (${key.asymmetricKeyType ?? 'unknown'})`);
  return key;
}

export class AuthoritySigner {
  readonly #key: KeyObject;
  private constructor(key: KeyObject) {
    this.#key = key;
  }

  static load(path: string): AuthoritySigner {
    try {
      return new AuthoritySigner(requireEd25519(createPrivateKey(readPem(path, 'authority signing key')), path));
    } catch (err) {
      if (err instanceof SignatureKeyError) throw err;
      throw new SignatureKeyError(`${path} is not a PEM private key`);
    }
  }

  static fromKey(key: KeyObject): AuthoritySigner {
    return new AuthoritySigner(key);
  }

  sign(data: Buffer): Buffer {
    return sign(null, data, this.#key);
  }

  toJSON(): string {
    return '[authority signing key]';
  }
}

export class AuthorityVerifier {
  private constructor(private readonly key: KeyObject) {}

  static load(path: string): AuthorityVerifier {
    try {
      return new AuthorityVerifier(requireEd25519(createPublicKey(readPem(path, 'authority public key')), path));
    } catch (err) {
      if (err instanceof SignatureKeyError) throw err;
      throw new SignatureKeyError(`${path} is not a PEM public key`);
    }
  }

  static fromKey(key: KeyObject): AuthorityVerifier {
    return new AuthorityVerifier(key);
  }

  verify(data: Buffer, signature: Buffer): boolean {
    return signature.length === 64 && verify(null, data, this.key, signature);
  }
}

/** A fresh authority key pair as PEM (PKCS#8 private, SPKI public). */
export function generateAuthorityKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}
