// API keys for the enrolment API. Only a SHA-256 of each key is stored. A slow password hash
// (scrypt) exists to make guessing low-entropy human passwords expensive; these keys are 256
// random bits, which no amount of guessing reaches, so a fast hash is as safe. It also lets
// the hash itself be the lookup key (one indexed read per request) and costs no CPU on a
// 2-core appliance, where scrypt on every request would hand attackers a cheap DoS.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Database } from './database.js';
import { StoreError } from './errors.js';

export type ApiKeyRole = 'admin' | 'read-only';
export const API_KEY_ROLES: readonly ApiKeyRole[] = ['admin', 'read-only'];

export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly role: ApiKeyRole;
  readonly createdAt: number;
  readonly revokedAt: number | null;
  readonly lastUsedAt: number | null;
}

export interface CreatedApiKey {
  readonly record: ApiKeyRecord;
  /** The key itself. Shown once to the operator; only its hash is stored. */
  readonly secret: string;
}

interface ApiKeyRow {
  id: string;
  name: string;
  role: ApiKeyRole;
  key_hash: string;
  created_at: number;
  revoked_at: number | null;
  last_used_at: number | null;
}

/** Recognisable prefix so leaked keys can be found by secret scanners. */
export const API_KEY_PREFIX = 'mgk_';
const KEY_BYTES = 32;
const MAX_NAME_LENGTH = 100;
/** last_used_at is refreshed at most this often per key, so authentication is not a write per request. */
export const LAST_USED_RESOLUTION_MS = 60_000;
const COLUMNS = 'id, name, role, key_hash, created_at, revoked_at, last_used_at';

export function hashApiKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export class ApiKeysRepository {
  private readonly insertStatement;
  private readonly byIdStatement;
  private readonly byHashStatement;
  private readonly listStatement;
  private readonly revokeStatement;
  private readonly touchStatement;
  private readonly countActiveStatement;

  constructor(
    db: Database,
    private readonly now: () => number = Date.now,
  ) {
    this.insertStatement = db.prepare<[ApiKeyRow]>(
      `INSERT INTO api_keys (${COLUMNS})
       VALUES (@id, @name, @role, @key_hash, @created_at, @revoked_at, @last_used_at)`,
    );
    this.byIdStatement = db.prepare<[string], ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE id = ?`);
    this.byHashStatement = db.prepare<[string], ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = ?`);
    this.listStatement = db.prepare<[], ApiKeyRow>(`SELECT ${COLUMNS} FROM api_keys ORDER BY created_at, rowid`);
    this.revokeStatement = db.prepare<[number, string]>(
      'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
    );
    this.touchStatement = db.prepare<[number, string, number]>(
      'UPDATE api_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at <= ?)',
    );
    this.countActiveStatement = db.prepare<[string], number>(
      'SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL AND role = ?',
    ).pluck();
  }

  /** Creates a key with 256 random bits; the returned secret is not recoverable afterwards. */
  create(input: { name: string; role: ApiKeyRole }): CreatedApiKey {
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    // Characters (code points), as the CHECK's length() counts them, not UTF-16 units.
    if (name.length === 0 || [...name].length > MAX_NAME_LENGTH) {
      throw new StoreError('STORE_INVALID_INPUT', `key name must be 1..${MAX_NAME_LENGTH} characters`);
    }
    if (!API_KEY_ROLES.includes(input.role)) {
      throw new StoreError('STORE_INVALID_INPUT', `unknown role ${String(input.role)}`);
    }
    const secret = API_KEY_PREFIX + randomBytes(KEY_BYTES).toString('base64url');
    const row: ApiKeyRow = {
      id: randomUUID(),
      name,
      role: input.role,
      key_hash: hashApiKey(secret),
      created_at: this.now(),
      revoked_at: null,
      last_used_at: null,
    };
    this.insertStatement.run(row);
    return { record: toRecord(row), secret };
  }

  /**
   * The key's record when `secret` is a known, unrevoked key; null otherwise.
   * Records the use (at most once per LAST_USED_RESOLUTION_MS, to spare the flash).
   */
  authenticate(secret: string): ApiKeyRecord | null {
    if (typeof secret !== 'string' || !secret.startsWith(API_KEY_PREFIX)) return null;
    const row = this.byHashStatement.get(hashApiKey(secret));
    if (!row || row.revoked_at !== null) return null;
    const at = this.now();
    if (this.touchStatement.run(at, row.id, at - LAST_USED_RESOLUTION_MS).changes > 0) row.last_used_at = at;
    return toRecord(row);
  }

  get(id: string): ApiKeyRecord | null {
    const row = this.byIdStatement.get(id);
    return row ? toRecord(row) : null;
  }

  list(): ApiKeyRecord[] {
    return this.listStatement.all().map(toRecord);
  }

  /** True when the key was active and is now revoked; false for unknown or already revoked keys. */
  revoke(id: string): boolean {
    return this.revokeStatement.run(this.now(), id).changes > 0;
  }

  /** Unrevoked keys with `role`; lets the daemon refuse to revoke the last admin key or bootstrap one. */
  countActive(role: ApiKeyRole): number {
    return this.countActiveStatement.get(role) ?? 0;
  }
}

function toRecord(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}
