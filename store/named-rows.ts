// Zones and access groups are the same kind of table: an id, a name unique among its kind,
// timestamps, and parts (a zone's doors, a group's grants) that are always replaced whole with
// it. NamedRows holds that shape once; subclasses say how their parts are written and read.
import { randomUUID } from 'node:crypto';
import type { Database } from './database.js';
import { isUniqueViolation, StoreError } from './errors.js';

const MAX_NAME_LENGTH = 100;

export interface NamedRow {
  id: string;
  name: string;
  created_at: number;
  updated_at: number;
}

/** The trimmed name; STORE_INVALID_INPUT when empty or longer than 100 characters. */
export function validName(kind: string, name: string): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (trimmed.length === 0 || trimmed.length > MAX_NAME_LENGTH) {
    throw new StoreError('STORE_INVALID_INPUT', `${kind} name must be 1..${MAX_NAME_LENGTH} characters`);
  }
  return trimmed;
}

/** Runs a write; a unique violation becomes STORE_CONFLICT naming the duplicate. */
export function writeNamed<T>(kind: string, name: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (isUniqueViolation(error)) throw new StoreError('STORE_CONFLICT', `another ${kind} is already named "${name}"`, { cause: error });
    throw error;
  }
}

export abstract class NamedRows<I extends { readonly name: string }, R> {
  private readonly insertStatement;
  private readonly renameStatement;
  private readonly byIdStatement;
  private readonly listStatement;
  private readonly deleteStatement;

  /** `table` is a constant of the subclass, never caller input. */
  protected constructor(
    protected readonly db: Database,
    table: 'access_zones' | 'access_groups',
    private readonly kind: string,
    private readonly now: () => number,
  ) {
    this.insertStatement = db.prepare<[NamedRow]>(`INSERT INTO ${table} (id, name, created_at, updated_at) VALUES (@id, @name, @created_at, @updated_at)`);
    this.renameStatement = db.prepare<[{ id: string; name: string; updated_at: number }]>(`UPDATE ${table} SET name = @name, updated_at = @updated_at WHERE id = @id`);
    this.byIdStatement = db.prepare<[string], NamedRow>(`SELECT id, name, created_at, updated_at FROM ${table} WHERE id = ?`);
    this.listStatement = db.prepare<[], NamedRow>(`SELECT id, name, created_at, updated_at FROM ${table} ORDER BY name`);
    this.deleteStatement = db.prepare<[string]>(`DELETE FROM ${table} WHERE id = ?`);
  }

  /** Replaces the row's parts (inside the caller's transaction). */
  protected abstract writeParts(id: string, input: I): void;
  protected abstract toRecord(row: NamedRow): R;

  create(input: I): R {
    const at = this.now();
    const row: NamedRow = { id: randomUUID(), name: validName(this.kind, input.name), created_at: at, updated_at: at };
    this.db.transaction(() => {
      writeNamed(this.kind, row.name, () => this.insertStatement.run(row));
      this.writeParts(row.id, input);
    })();
    return this.get(row.id)!;
  }

  /** null when there is no such row. */
  replace(id: string, input: I): R | null {
    const name = validName(this.kind, input.name);
    const found = this.db.transaction(() => {
      const { changes } = writeNamed(this.kind, name, () => this.renameStatement.run({ id, name, updated_at: this.now() }));
      if (changes === 0) return false;
      this.writeParts(id, input);
      return true;
    })();
    return found ? this.get(id) : null;
  }

  get(id: string): R | null {
    const row = this.byIdStatement.get(id);
    return row ? this.toRecord(row) : null;
  }

  /** By name. */
  list(): R[] {
    return this.listStatement.all().map((row) => this.toRecord(row));
  }

  /** False when there was no such row; the parts go with it (foreign-key cascade). */
  delete(id: string): boolean {
    return this.deleteStatement.run(id).changes > 0;
  }
}
