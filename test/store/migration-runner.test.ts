import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../store/database.js';
import { StoreError } from '../../store/errors.js';
import { currentSchemaVersion, migrate, type Migration } from '../../store/migration-runner.js';
import { makeTempDir, type TempDir } from './helpers.js';

const v1: Migration = {
  version: 1,
  name: 'create_notes',
  up: (db) => db.exec('CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)'),
};
const v2: Migration = {
  version: 2,
  name: 'add_note_author',
  up: (db) => db.exec("ALTER TABLE notes ADD COLUMN author TEXT NOT NULL DEFAULT 'unknown'"),
};

function tableNames(db: BetterSqlite3.Database): string[] {
  return db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
}

describe('migrate', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = makeTempDir();
  });
  afterEach(() => dir.remove());

  it('upgrades an old file step by step and keeps its data', () => {
    const path = dir.file('notes.db');
    const old = openDatabase(path, { migrations: [v1] });
    old.prepare('INSERT INTO notes (body) VALUES (?)').run('hello');
    old.close();

    const db = openDatabase(path, { migrations: [v1, v2] });
    expect(currentSchemaVersion(db)).toBe(2);
    expect(db.prepare('SELECT body, author FROM notes').get()).toEqual({ body: 'hello', author: 'unknown' });
    const history = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    expect(history).toEqual([
      { version: 1, name: 'create_notes' },
      { version: 2, name: 'add_note_author' },
    ]);
    db.close();
  });

  it('reports what it applied', () => {
    const db = new BetterSqlite3(':memory:');
    expect(migrate(db, [v1])).toEqual({ fromVersion: 0, toVersion: 1, applied: [1] });
    expect(migrate(db, [v1, v2])).toEqual({ fromVersion: 1, toVersion: 2, applied: [2] });
    expect(migrate(db, [v1, v2])).toEqual({ fromVersion: 2, toVersion: 2, applied: [] });
    db.close();
  });

  it('rolls a failing migration back completely and stays at the previous version', () => {
    const db = new BetterSqlite3(':memory:');
    migrate(db, [v1]);
    const broken: Migration = {
      version: 2,
      name: 'half_done',
      up: (conn) => {
        conn.exec('CREATE TABLE half (x INTEGER)');
        conn.exec('INSERT INTO no_such_table VALUES (1)');
      },
    };
    expect(() => migrate(db, [v1, broken])).toThrow(expect.objectContaining({ code: 'STORE_MIGRATION_FAILED' }));
    expect(currentSchemaVersion(db)).toBe(1);
    expect(tableNames(db)).not.toContain('half');
    db.close();
  });

  it('refuses a malformed migration list', () => {
    const db = new BetterSqlite3(':memory:');
    const gap: Migration = { ...v2, version: 3 };
    expect(() => migrate(db, [v1, gap])).toThrow(expect.objectContaining({ code: 'STORE_MIGRATION_INVALID' }));
    expect(() => migrate(db, [v2])).toThrow(StoreError);
    db.close();
  });

  it('refuses to run when the file is newer than the list', () => {
    const db = new BetterSqlite3(':memory:');
    migrate(db, [v1, v2]);
    expect(() => migrate(db, [v1])).toThrow(expect.objectContaining({ code: 'STORE_SCHEMA_TOO_NEW' }));
    db.close();
  });

  describe('table rebuilds with disableForeignKeys', () => {
    const parentChild: Migration = {
      version: 1,
      name: 'parent_child',
      up: (db) =>
        db.exec(`
          CREATE TABLE parent (id INTEGER PRIMARY KEY, label TEXT);
          CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE);`),
    };
    const rebuildParent = (disableForeignKeys: boolean): Migration => ({
      version: 2,
      name: 'rebuild_parent',
      disableForeignKeys,
      up: (db) =>
        db.exec(`
          CREATE TABLE parent_new (id INTEGER PRIMARY KEY, label TEXT NOT NULL DEFAULT '');
          INSERT INTO parent_new (id, label) SELECT id, COALESCE(label, '') FROM parent;
          DROP TABLE parent;
          ALTER TABLE parent_new RENAME TO parent;`),
    });

    function seeded(): BetterSqlite3.Database {
      const db = openDatabase(':memory:', { migrations: [parentChild] });
      db.exec("INSERT INTO parent (id, label) VALUES (1, 'a'), (2, NULL); INSERT INTO child (parent_id) VALUES (1), (2), (2);");
      return db;
    }

    it('keeps child rows and turns foreign keys back on', () => {
      const db = seeded();
      migrate(db, [parentChild, rebuildParent(true)]);
      expect(db.prepare('SELECT COUNT(*) FROM child').pluck().get()).toBe(3);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      db.close();
    });

    it('would lose child rows to the cascade without it (why the flag exists)', () => {
      const db = seeded();
      migrate(db, [parentChild, rebuildParent(false)]);
      expect(db.prepare('SELECT COUNT(*) FROM child').pluck().get()).toBe(0);
      db.close();
    });

    it('rolls back a rebuild that leaves dangling references', () => {
      const db = seeded();
      const dropsParentTwo: Migration = {
        version: 2,
        name: 'lossy_rebuild',
        disableForeignKeys: true,
        up: (conn) =>
          conn.exec(`
            CREATE TABLE parent_new (id INTEGER PRIMARY KEY, label TEXT);
            INSERT INTO parent_new SELECT * FROM parent WHERE id = 1;
            DROP TABLE parent;
            ALTER TABLE parent_new RENAME TO parent;`),
      };
      expect(() => migrate(db, [parentChild, dropsParentTwo])).toThrow(/foreign key violation/);
      expect(currentSchemaVersion(db)).toBe(1);
      expect(db.prepare('SELECT COUNT(*) FROM parent').pluck().get()).toBe(2);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      db.close();
    });
  });
});
