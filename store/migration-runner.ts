// Applies an ordered list of schema migrations, one transaction each, and records them in
// `schema_migrations`. Kept apart from the migration list so tests can drive it with
// synthetic lists (upgrade paths, failing migrations, table rebuilds).
import type BetterSqlite3 from 'better-sqlite3';
import type { Logger } from 'pino';
import { StoreError } from './errors.js';

export interface Migration {
  /** 1, 2, 3, ... without gaps; never renumber or edit a migration once it has shipped. */
  readonly version: number;
  /** Short snake_case description, recorded in `schema_migrations` for forensics. */
  readonly name: string;
  /**
   * Set for migrations that rebuild a table (SQLite's "create new, copy, drop old, rename"
   * procedure): foreign keys are switched off around the transaction, because dropping the old
   * table would otherwise cascade-delete child rows, and `foreign_key_check` must pass before commit.
   */
  readonly disableForeignKeys?: boolean;
  readonly up: (db: BetterSqlite3.Database) => void;
}

export interface MigrationReport {
  readonly fromVersion: number;
  readonly toVersion: number;
  readonly applied: readonly number[];
}

const CREATE_MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
  )`;

/** Highest applied version, 0 for a fresh file. Creates the bookkeeping table if needed. */
export function currentSchemaVersion(db: BetterSqlite3.Database): number {
  db.exec(CREATE_MIGRATIONS_TABLE);
  const row = db
    .prepare<[], { version: number | null }>('SELECT MAX(version) AS version FROM schema_migrations')
    .get();
  return row?.version ?? 0;
}

export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
}

function assertWellFormed(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new StoreError(
        'STORE_MIGRATION_INVALID',
        `migration #${index} ("${migration.name}") has version ${migration.version}; expected ${index + 1}`,
      );
    }
  });
}

/**
 * Brings the database up to the last migration in `migrations`.
 * Refuses (STORE_SCHEMA_TOO_NEW) a file from a newer version rather than guessing, because an
 * older binary writing to a newer schema can silently lose or corrupt data.
 */
export function migrate(
  db: BetterSqlite3.Database,
  migrations: readonly Migration[],
  logger?: Logger,
  now: () => number = Date.now,
): MigrationReport {
  assertWellFormed(migrations);
  const target = latestVersion(migrations);
  const fromVersion = currentSchemaVersion(db);
  if (fromVersion > target) {
    throw new StoreError(
      'STORE_SCHEMA_TOO_NEW',
      `database schema is version ${fromVersion} but this build only knows up to version ${target}; ` +
        'upgrade maskgate or restore a backup taken before the upgrade',
    );
  }

  const recordApplied = db.prepare<[number, string, number]>(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  );
  const applied: number[] = [];
  for (const migration of migrations) {
    if (migration.version <= fromVersion) continue;
    const didApply = applyOne(db, migration, () => recordApplied.run(migration.version, migration.name, now()));
    if (didApply) {
      applied.push(migration.version);
      logger?.info({ version: migration.version, name: migration.name }, 'applied database migration');
    }
  }
  return { fromVersion, toVersion: currentSchemaVersion(db), applied };
}

function applyOne(db: BetterSqlite3.Database, migration: Migration, record: () => void): boolean {
  // IMMEDIATE takes the write lock up front; re-reading the version inside it means two
  // processes opening the same file at once cannot both apply the same migration.
  const run = db.transaction((): boolean => {
    if (currentSchemaVersion(db) >= migration.version) return false;
    migration.up(db);
    if (migration.disableForeignKeys) assertNoForeignKeyViolations(db, migration);
    record();
    return true;
  });

  const foreignKeysWereOn = db.pragma('foreign_keys', { simple: true }) === 1;
  // PRAGMA foreign_keys is a no-op inside a transaction, so it has to be toggled out here.
  if (migration.disableForeignKeys) db.pragma('foreign_keys = OFF');
  try {
    return run.immediate();
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError(
      'STORE_MIGRATION_FAILED',
      `migration ${migration.version} ("${migration.name}") failed and was rolled back: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    if (migration.disableForeignKeys && foreignKeysWereOn) db.pragma('foreign_keys = ON');
  }
}

function assertNoForeignKeyViolations(db: BetterSqlite3.Database, migration: Migration): void {
  const violations = db.pragma('foreign_key_check') as unknown[];
  if (violations.length > 0) {
    throw new StoreError(
      'STORE_MIGRATION_FAILED',
      `migration ${migration.version} ("${migration.name}") left ${violations.length} foreign key violation(s)`,
    );
  }
}
