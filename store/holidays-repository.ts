// Site-wide public holidays: calendar dates in the site's time zone, with a name for people.
import type { Database } from './database.js';
import { StoreError } from './errors.js';

export interface HolidayRecord {
  readonly date: string;
  readonly name: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_NAME_LENGTH = 100;

export class HolidaysRepository {
  private readonly listStatement;
  private readonly putStatement;
  private readonly deleteStatement;
  private readonly hasStatement;

  constructor(db: Database) {
    this.listStatement = db.prepare<[], HolidayRecord>('SELECT date, name FROM access_holidays ORDER BY date');
    this.putStatement = db.prepare<[string, string]>(
      'INSERT INTO access_holidays (date, name) VALUES (?, ?) ON CONFLICT (date) DO UPDATE SET name = excluded.name',
    );
    this.deleteStatement = db.prepare<[string]>('DELETE FROM access_holidays WHERE date = ?');
    this.hasStatement = db.prepare<[string], number>('SELECT 1 FROM access_holidays WHERE date = ?').pluck();
  }

  list(): HolidayRecord[] {
    return this.listStatement.all();
  }

  /** Creates or renames the holiday on `date` (YYYY-MM-DD). */
  put(date: string, name: string): HolidayRecord {
    const trimmed = typeof name === 'string' ? name.trim() : '';
    if (!DATE.test(date)) throw new StoreError('STORE_INVALID_INPUT', `holiday date "${date}" must be YYYY-MM-DD`);
    if (trimmed.length === 0 || trimmed.length > MAX_NAME_LENGTH) {
      throw new StoreError('STORE_INVALID_INPUT', `holiday name must be 1..${MAX_NAME_LENGTH} characters`);
    }
    this.putStatement.run(date, trimmed);
    return { date, name: trimmed };
  }

  /** False when there was no holiday on `date`. */
  delete(date: string): boolean {
    return this.deleteStatement.run(date).changes > 0;
  }

  has(date: string): boolean {
    return this.hasStatement.get(date) !== undefined;
  }
}
