// People: the identities that may be granted access. Deleting a person is the right-to-erasure
// path: it removes every face crop and template in one transaction and scrubs the file.
import { randomUUID } from 'node:crypto';
import { assertSecureDelete, truncateWal, type Database } from './database.js';
import { isUniqueViolation, StoreError } from './errors.js';
import { pageOffset, pageSize } from './paging.js';

export interface PersonRecord {
  readonly id: string;
  readonly externalId: string | null;
  readonly displayName: string;
  readonly active: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface NewPerson {
  /** Set only by replication, which keeps the authority's id; otherwise a random UUID. */
  readonly id?: string;
  readonly displayName: string;
  /** An id from another system (badge number, HR id); unique when present. */
  readonly externalId?: string | null;
  readonly active?: boolean;
}

export interface PersonUpdate {
  readonly displayName?: string;
  readonly externalId?: string | null;
  readonly active?: boolean;
}

export interface ListPeopleOptions {
  readonly activeOnly?: boolean;
  /** Default 100, at most 1000. */
  readonly limit?: number;
  readonly offset?: number;
}

export interface SearchPeopleOptions {
  /** Default 100, at most 1000. */
  readonly limit?: number;
  readonly offset?: number;
}

export interface PersonDeletionReport {
  /** False when no person had this id (deletion is idempotent). */
  readonly found: boolean;
  readonly facesDeleted: number;
  readonly templatesDeleted: number;
  /**
   * True when the WAL was checkpointed and truncated, i.e. no old page copies remain on disk.
   * False when called inside the caller's own transaction (call truncateWal(db) after commit)
   * or when another connection held a read transaction (retry truncateWal(db) later).
   */
  readonly walTruncated: boolean;
}

interface PersonRow {
  id: string;
  external_id: string | null;
  display_name: string;
  active: number;
  created_at: number;
  updated_at: number;
}

const MAX_NAME_LENGTH = 200;
const MAX_EXTERNAL_ID_LENGTH = 200;
const COLUMNS = 'id, external_id, display_name, active, created_at, updated_at';
const SEARCH_WHERE = "display_name LIKE @pattern ESCAPE '\\' OR external_id LIKE @pattern ESCAPE '\\'";

export class PeopleRepository {
  private readonly insertStatement;
  private readonly updateStatement;
  private readonly byIdStatement;
  private readonly byExternalIdStatement;
  private readonly listAllStatement;
  private readonly listActiveStatement;
  private readonly countAllStatement;
  private readonly countActiveStatement;
  private readonly countBiometricsStatement;
  private readonly deleteStatement;
  private readonly searchStatement;
  private readonly countSearchStatement;

  constructor(
    private readonly db: Database,
    private readonly now: () => number = Date.now,
  ) {
    assertSecureDelete(db);
    this.insertStatement = db.prepare<[PersonRow]>(
      `INSERT INTO people (${COLUMNS})
       VALUES (@id, @external_id, @display_name, @active, @created_at, @updated_at)`,
    );
    this.updateStatement = db.prepare<[PersonRow]>(
      `UPDATE people SET external_id = @external_id, display_name = @display_name, active = @active,
                         updated_at = @updated_at
       WHERE id = @id`,
    );
    this.byIdStatement = db.prepare<[string], PersonRow>(`SELECT ${COLUMNS} FROM people WHERE id = ?`);
    this.byExternalIdStatement = db.prepare<[string], PersonRow>(
      `SELECT ${COLUMNS} FROM people WHERE external_id = ?`,
    );
    this.listAllStatement = db.prepare<[number, number], PersonRow>(
      `SELECT ${COLUMNS} FROM people ORDER BY created_at, rowid LIMIT ? OFFSET ?`,
    );
    this.listActiveStatement = db.prepare<[number, number], PersonRow>(
      `SELECT ${COLUMNS} FROM people WHERE active = 1 ORDER BY created_at, rowid LIMIT ? OFFSET ?`,
    );
    this.countAllStatement = db.prepare<[], number>('SELECT COUNT(*) FROM people').pluck();
    this.countActiveStatement = db.prepare<[], number>('SELECT COUNT(*) FROM people WHERE active = 1').pluck();
    this.countBiometricsStatement = db.prepare<[{ id: string }], { faces: number; templates: number }>(
      `SELECT (SELECT COUNT(*) FROM faces WHERE person_id = @id) AS faces,
              (SELECT COUNT(*) FROM templates t JOIN faces f ON f.id = t.face_id WHERE f.person_id = @id) AS templates`,
    );
    this.deleteStatement = db.prepare<[string]>('DELETE FROM people WHERE id = ?');
    this.searchStatement = db.prepare<[{ pattern: string; limit: number; offset: number }], PersonRow>(
      `SELECT ${COLUMNS} FROM people WHERE ${SEARCH_WHERE} ORDER BY created_at, rowid LIMIT @limit OFFSET @offset`,
    );
    this.countSearchStatement = db.prepare<[{ pattern: string }], number>(
      `SELECT COUNT(*) FROM people WHERE ${SEARCH_WHERE}`,
    ).pluck();
  }

  create(person: NewPerson): PersonRecord {
    const at = this.now();
    const row: PersonRow = {
      id: person.id ?? randomUUID(),
      external_id: validExternalId(person.externalId ?? null),
      display_name: validDisplayName(person.displayName),
      active: person.active === false ? 0 : 1,
      created_at: at,
      updated_at: at,
    };
    this.write(() => this.insertStatement.run(row), row.external_id);
    return toRecord(row);
  }

  get(id: string): PersonRecord | null {
    const row = this.byIdStatement.get(id);
    return row ? toRecord(row) : null;
  }

  getByExternalId(externalId: string): PersonRecord | null {
    const row = this.byExternalIdStatement.get(externalId);
    return row ? toRecord(row) : null;
  }

  /** Oldest first, so that pages stay stable while people are being added. */
  list(options: ListPeopleOptions = {}): PersonRecord[] {
    const limit = pageSize(options.limit);
    const offset = pageOffset(options.offset);
    const statement = options.activeOnly ? this.listActiveStatement : this.listAllStatement;
    return statement.all(limit, offset).map(toRecord);
  }

  count(options: { activeOnly?: boolean } = {}): number {
    return (options.activeOnly ? this.countActiveStatement : this.countAllStatement).get() ?? 0;
  }

  /**
   * People whose display name or external id contains `text` (case-insensitive for ASCII
   * letters, as SQLite's LIKE is), oldest first. `%` and `_` in `text` match themselves.
   */
  search(text: string, options: SearchPeopleOptions = {}): PersonRecord[] {
    return this.searchStatement
      .all({ pattern: likePattern(text), limit: pageSize(options.limit), offset: pageOffset(options.offset) })
      .map(toRecord);
  }

  /** How many people `search(text)` finds over all pages. */
  countSearch(text: string): number {
    return this.countSearchStatement.get({ pattern: likePattern(text) }) ?? 0;
  }

  /** Throws STORE_NOT_FOUND for an unknown id and STORE_CONFLICT for an external id already in use. */
  update(id: string, changes: PersonUpdate): PersonRecord {
    return this.db.transaction((): PersonRecord => {
      const current = this.byIdStatement.get(id);
      if (!current) throw new StoreError('STORE_NOT_FOUND', `no person with id ${id}`);
      const row: PersonRow = {
        ...current,
        external_id: changes.externalId === undefined ? current.external_id : validExternalId(changes.externalId),
        display_name: changes.displayName === undefined ? current.display_name : validDisplayName(changes.displayName),
        active: changes.active === undefined ? current.active : changes.active ? 1 : 0,
        updated_at: this.now(),
      };
      this.write(() => this.updateStatement.run(row), row.external_id);
      return toRecord(row);
    })();
  }

  /**
   * Removes the person with all faces, aligned crops and templates in one transaction, then
   * checkpoints and truncates the WAL. With secure_delete on (set by openDatabase) the freed
   * cells and pages are zeroed, so the biometric bytes are gone from both the .db and -wal files.
   * Decisions keep the person id (see docs/data-model.md).
   */
  delete(id: string): PersonDeletionReport {
    const removed = this.db.transaction(() => {
      const counts = this.countBiometricsStatement.get({ id }) ?? { faces: 0, templates: 0 };
      const { changes } = this.deleteStatement.run(id);
      return { found: changes > 0, facesDeleted: counts.faces, templatesDeleted: counts.templates };
    })();
    if (!removed.found) return { ...removed, walTruncated: true };
    return { ...removed, walTruncated: truncateWal(this.db) };
  }

  private write(run: () => void, externalId: string | null): void {
    try {
      run();
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new StoreError('STORE_CONFLICT', `external id ${String(externalId)} is already in use`, { cause: error });
      }
      throw error;
    }
  }
}

function toRecord(row: PersonRow): PersonRecord {
  return {
    id: row.id,
    externalId: row.external_id,
    displayName: row.display_name,
    active: row.active === 1,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function likePattern(text: string): string {
  return `%${String(text).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function validDisplayName(name: string): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  // Characters (code points), as the CHECK's length() counts them, not UTF-16 units.
  if (trimmed.length === 0 || [...trimmed].length > MAX_NAME_LENGTH) {
    throw new StoreError('STORE_INVALID_INPUT', `display name must be 1..${MAX_NAME_LENGTH} characters`);
  }
  return trimmed;
}

function validExternalId(externalId: string | null): string | null {
  if (externalId === null) return null;
  if (typeof externalId !== 'string' || externalId.length === 0 || [...externalId].length > MAX_EXTERNAL_ID_LENGTH) {
    throw new StoreError('STORE_INVALID_INPUT', `external id must be 1..${MAX_EXTERNAL_ID_LENGTH} characters or null`);
  }
  return externalId;
}
