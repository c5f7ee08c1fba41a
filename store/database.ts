// Opens the maskgate SQLite file with the connection settings the rest of the store relies on,
// then migrates it. Every repository takes the returned handle; there is no shared global one.
import BetterSqlite3 from 'better-sqlite3';
import type { Logger } from 'pino';
import { StoreError } from './errors.js';
import { migrate, type Migration, type MigrationReport } from './migration-runner.js';
import { MIGRATIONS } from './migrations.js';

export type Database = BetterSqlite3.Database;

export interface OpenDatabaseOptions {
  readonly logger?: Logger;
  /** How long a statement waits for another connection's lock before failing with SQLITE_BUSY. */
  readonly busyTimeoutMs?: number;
  /** Override the schema history; only tests should need this. */
  readonly migrations?: readonly Migration[];
}

export const DEFAULT_BUSY_TIMEOUT_MS = 5_000;

/**
 * Opens (creating if needed) the database at `path` (':memory:' for a throw-away one) and
 * applies pending migrations. Throws StoreError STORE_OPEN_FAILED, STORE_SCHEMA_TOO_NEW or
 * STORE_MIGRATION_FAILED; on any failure the handle is closed again.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database {
  let db: Database;
  try {
    db = new BetterSqlite3(path);
  } catch (error) {
    throw new StoreError('STORE_OPEN_FAILED', `cannot open database at ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    configureConnection(db, options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS);
    const report: MigrationReport = migrate(db, options.migrations ?? MIGRATIONS, options.logger);
    options.logger?.info(
      { path, fromVersion: report.fromVersion, schemaVersion: report.toVersion, applied: report.applied },
      'database opened',
    );
    return db;
  } catch (error) {
    db.close();
    if (error instanceof StoreError) throw error;
    throw new StoreError('STORE_OPEN_FAILED', `cannot use database at ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function configureConnection(db: Database, busyTimeoutMs: number): void {
  // busy_timeout first, so that even the journal-mode switch waits for another process's lock.
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  // WAL: readers (audit queries, the enrolment API) never block the camera loop's writes.
  // The first statement also touches the file, so a non-database file fails here (SQLITE_NOTADB).
  const mode = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal' && !db.memory) {
    throw new StoreError('STORE_OPEN_FAILED', `database refused WAL journal mode (got ${String(mode)})`);
  }
  // NORMAL in WAL mode fsyncs at checkpoints, not at every commit. A power cut can lose the
  // last few commits but never corrupts the file or splits a transaction; FULL would fsync on
  // every audit row, wearing the appliance's flash and adding latency to each door decision.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  // secure_delete: SQLite overwrites deleted cells and freed pages with zeros instead of just
  // unlinking them, so deleted embeddings and face crops do not survive as free-page garbage.
  db.pragma('secure_delete = ON');
  // Sorts and temporary indices stay in RAM, so no biometric bytes spill into temp files.
  db.pragma('temp_store = MEMORY');
}

/**
 * Copies every WAL frame into the main file and truncates the -wal file to zero bytes, so old
 * page images (which may still hold deleted biometric data) do not linger in it.
 * Returns false when it could not complete: inside a transaction on this connection (SQLite
 * cannot checkpoint there; call again after commit), or when a reader on another connection
 * held old pages (retry later). The data is already unreachable through SQL either way.
 */
export function truncateWal(db: Database): boolean {
  if (db.memory) return true;
  if (db.inTransaction) return false;
  const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number; checkpointed: number }[];
  return result !== undefined && result.busy === 0;
}

/**
 * Repositories that delete biometric data call this in their constructor, so that a handle
 * opened without openDatabase (and so without secure_delete) fails loudly instead of leaving
 * deleted faces recoverable from free pages.
 */
export function assertSecureDelete(db: Database): void {
  if (db.pragma('secure_delete', { simple: true }) !== 1) {
    throw new StoreError(
      'STORE_MISCONFIGURED',
      'secure_delete is off on this connection; open the database with openDatabase()',
    );
  }
}
