// One error type for the whole store so callers (enroll API, daemon) can map failures to
// responses by a stable `code` instead of parsing messages or SQLite error strings.
import { CodedError } from '../pipeline/coded-error.js';

export type StoreErrorCode =
  /** The file could not be opened as an SQLite database (missing directory, not a database, locked). */
  | 'STORE_OPEN_FAILED'
  /** The file was written by a newer maskgate; opening it could corrupt data this version does not understand. */
  | 'STORE_SCHEMA_TOO_NEW'
  /** A migration threw; its transaction was rolled back and the file is still at the previous version. */
  | 'STORE_MIGRATION_FAILED'
  /** The list of migrations itself is malformed (programming error: gaps, duplicates, wrong order). */
  | 'STORE_MIGRATION_INVALID'
  /** A row referenced by the caller does not exist. */
  | 'STORE_NOT_FOUND'
  /** A uniqueness constraint would be violated (e.g. an external id already in use). */
  | 'STORE_CONFLICT'
  /** The connection lacks a setting the store depends on (e.g. secure_delete); open it with openDatabase. */
  | 'STORE_MISCONFIGURED'
  /** The caller passed a value the schema cannot hold (bad role, empty name, non-PNG crop, ...). */
  | 'STORE_INVALID_INPUT'
  /** A stored row does not decode (e.g. an embedding blob whose length disagrees with its dimension). */
  | 'STORE_CORRUPT_ROW'
  /** An audit payload carried something that looks like biometric data; the audit log must never hold it. */
  | 'STORE_BIOMETRIC_IN_AUDIT';

export class StoreError extends CodedError<StoreErrorCode> {}

/** True when `error` is a better-sqlite3 error for a UNIQUE or PRIMARY KEY violation. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** True when `error` is a better-sqlite3 error for a FOREIGN KEY violation. */
export function isForeignKeyViolation(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
