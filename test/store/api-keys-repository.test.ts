import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  API_KEY_PREFIX,
  ApiKeysRepository,
  hashApiKey,
  LAST_USED_RESOLUTION_MS,
  type ApiKeyRole,
} from '../../store/api-keys-repository.js';
import { openDatabase, type Database } from '../../store/database.js';

describe('ApiKeysRepository', () => {
  let db: Database;
  let clock: number;
  let keys: ApiKeysRepository;

  beforeEach(() => {
    db = openDatabase(':memory:');
    clock = 1_000_000;
    keys = new ApiKeysRepository(db, () => clock);
  });
  afterEach(() => db.close());

  it('creates a high-entropy key and stores only its hash', () => {
    const { record, secret } = keys.create({ name: ' installer ', role: 'admin' });
    expect(secret.startsWith(API_KEY_PREFIX)).toBe(true);
    expect(Buffer.from(secret.slice(API_KEY_PREFIX.length), 'base64url')).toHaveLength(32);
    expect(record).toMatchObject({ name: 'installer', role: 'admin', createdAt: clock, revokedAt: null, lastUsedAt: null });
    const stored = db.prepare('SELECT * FROM api_keys').all();
    expect(JSON.stringify(stored)).not.toContain(secret.slice(API_KEY_PREFIX.length));
    expect(stored).toEqual([expect.objectContaining({ key_hash: hashApiKey(secret) })]);
    expect(keys.create({ name: 'x', role: 'admin' }).secret).not.toBe(secret);
  });

  it('authenticates the right key only, and records its use at a coarse resolution', () => {
    const { record, secret } = keys.create({ name: 'dashboard', role: 'read-only' });
    expect(keys.authenticate(secret)).toEqual({ ...record, lastUsedAt: clock });
    expect(keys.authenticate(`${secret}x`)).toBeNull();
    expect(keys.authenticate('not-a-key')).toBeNull();
    expect(keys.authenticate(API_KEY_PREFIX)).toBeNull();

    const firstUse = clock;
    clock += LAST_USED_RESOLUTION_MS - 1;
    expect(keys.authenticate(secret)?.lastUsedAt).toBe(firstUse);
    clock += 1;
    expect(keys.authenticate(secret)?.lastUsedAt).toBe(clock);
    expect(keys.get(record.id)?.lastUsedAt).toBe(clock);
  });

  it('revokes keys, which then stop authenticating', () => {
    const admin = keys.create({ name: 'a', role: 'admin' });
    keys.create({ name: 'b', role: 'admin' });
    keys.create({ name: 'c', role: 'read-only' });
    expect(keys.countActive('admin')).toBe(2);
    clock += 10;
    expect(keys.revoke(admin.record.id)).toBe(true);
    expect(keys.revoke(admin.record.id)).toBe(false);
    expect(keys.revoke('missing')).toBe(false);
    expect(keys.authenticate(admin.secret)).toBeNull();
    expect(keys.get(admin.record.id)?.revokedAt).toBe(clock);
    expect(keys.countActive('admin')).toBe(1);
    expect(keys.list().map((k) => k.name)).toEqual(['a', 'b', 'c']);
  });

  it('validates names and roles', () => {
    expect(() => keys.create({ name: '', role: 'admin' })).toThrow(expect.objectContaining({ code: 'STORE_INVALID_INPUT' }));
    expect(() => keys.create({ name: 'x', role: 'root' as ApiKeyRole })).toThrow(
      expect.objectContaining({ code: 'STORE_INVALID_INPUT' }),
    );
  });
});
