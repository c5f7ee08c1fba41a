import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { assertSecureDelete, openDatabase, truncateWal, type Database } from '../../store/database.js';
import { StoreError } from '../../store/errors.js';
import { currentSchemaVersion, latestVersion } from '../../store/migration-runner.js';
import { MIGRATIONS } from '../../store/migrations.js';
import { makeTempDir, type TempDir } from './helpers.js';

describe('openDatabase', () => {
  let dir: TempDir;
  const opened: Database[] = [];
  const open = (path: string, options?: Parameters<typeof openDatabase>[1]): Database => {
    const db = openDatabase(path, options);
    opened.push(db);
    return db;
  };

  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => {
    for (const db of opened.splice(0)) if (db.open) db.close();
    dir.remove();
  });

  it('configures WAL, foreign keys, secure delete, synchronous=NORMAL and a busy timeout', () => {
    const db = open(dir.file('gate.db'), { busyTimeoutMs: 1234 });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('secure_delete', { simple: true })).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // 1 = NORMAL
    expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
    expect(db.pragma('temp_store', { simple: true })).toBe(2); // 2 = MEMORY
    expect(() => assertSecureDelete(db)).not.toThrow();
  });

  it('creates every table and records the schema version', () => {
    const db = open(dir.file('gate.db'));
    const tables = db
      .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .pluck()
      .all();
    const accessPolicy = ['access_doors', 'access_grants', 'access_groups', 'access_holidays', 'access_memberships', 'access_pins', 'access_schedules', 'access_settings', 'access_validity', 'access_zone_doors', 'access_zones'];
    const replication = ['replication_acks', 'replication_applied', 'replication_outgoing', 'replication_policy', 'replication_replicas'];
    expect(tables).toEqual([...accessPolicy, 'api_keys', 'decisions', 'faces', 'outbox', 'people', ...replication, 'schema_migrations', 'templates']);
    expect(currentSchemaVersion(db)).toBe(latestVersion(MIGRATIONS));
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  });

  it('reopens an up-to-date file without applying anything again', () => {
    const path = dir.file('gate.db');
    open(path).close();
    const db = open(path);
    const rows = db.prepare<[], number>('SELECT COUNT(*) FROM schema_migrations').pluck().get();
    expect(rows).toBe(MIGRATIONS.length);
  });

  it('migrates an existing file that predates the schema (version 0)', () => {
    const path = dir.file('legacy.db');
    const legacy = new BetterSqlite3(path);
    legacy.exec('CREATE TABLE unrelated (x INTEGER)');
    legacy.close();
    const db = open(path);
    expect(currentSchemaVersion(db)).toBe(latestVersion(MIGRATIONS));
  });

  it('refuses a file written by a newer version, and leaves it untouched', () => {
    const path = dir.file('future.db');
    open(path).close();
    const future = new BetterSqlite3(path);
    future.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(999, 'from_the_future', 0);
    future.close();

    const attempt = (): Database => open(path);
    expect(attempt).toThrow(StoreError);
    expect(attempt).toThrow(/version 999/);
    try {
      attempt();
    } catch (error) {
      expect((error as StoreError).code).toBe('STORE_SCHEMA_TOO_NEW');
    }
    const check = new BetterSqlite3(path, { readonly: true });
    expect(check.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get()).toBe(999);
    check.close();
  });

  it('reports a file that is not a database as STORE_OPEN_FAILED', () => {
    const path = dir.file('garbage.db');
    writeFileSync(path, Buffer.alloc(8192, 0x41));
    expect(() => open(path)).toThrow(expect.objectContaining({ code: 'STORE_OPEN_FAILED' }));
  });

  it('reports a missing directory as STORE_OPEN_FAILED', () => {
    expect(() => open(join(dir.path, 'no', 'such', 'dir', 'gate.db'))).toThrow(
      expect.objectContaining({ code: 'STORE_OPEN_FAILED' }),
    );
  });

  it('works in memory for throw-away databases', () => {
    const db = open(':memory:');
    expect(currentSchemaVersion(db)).toBe(latestVersion(MIGRATIONS));
    expect(truncateWal(db)).toBe(true);
  });

  it('assertSecureDelete rejects a raw connection opened without openDatabase', () => {
    const raw = new BetterSqlite3(':memory:');
    try {
      expect(() => assertSecureDelete(raw)).toThrow(expect.objectContaining({ code: 'STORE_MISCONFIGURED' }));
    } finally {
      raw.close();
    }
  });
});
