// Schedules: weekly windows and holiday hours, stored as JSON because they are always read and
// written whole. The store keeps their shape; access/policy/schedule.ts gives them meaning.
import { randomUUID } from 'node:crypto';
import type { Database } from './database.js';
import { StoreError } from './errors.js';
import { validName, writeNamed } from './named-rows.js';

export interface StoredTimeRange {
  readonly start: string;
  readonly end: string;
}
export interface StoredWeeklyWindow extends StoredTimeRange {
  readonly days: readonly ('mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun')[];
}

export interface ScheduleInput {
  readonly name: string;
  readonly windows: readonly StoredWeeklyWindow[];
  readonly holidayWindows: readonly StoredTimeRange[] | null;
}

export interface ScheduleRecord extends ScheduleInput {
  readonly id: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

interface ScheduleRow {
  id: string;
  name: string;
  windows: string;
  holiday_windows: string | null;
  created_at: number;
  updated_at: number;
}

const COLUMNS = 'id, name, windows, holiday_windows, created_at, updated_at';

export class SchedulesRepository {
  private readonly insertStatement;
  private readonly updateStatement;
  private readonly byIdStatement;
  private readonly listStatement;
  private readonly deleteStatement;
  private readonly usersStatement;

  constructor(
    db: Database,
    private readonly now: () => number = Date.now,
  ) {
    this.insertStatement = db.prepare<[ScheduleRow]>(
      `INSERT INTO access_schedules (${COLUMNS}) VALUES (@id, @name, @windows, @holiday_windows, @created_at, @updated_at)`,
    );
    this.updateStatement = db.prepare<[Omit<ScheduleRow, 'created_at'>]>(
      'UPDATE access_schedules SET name = @name, windows = @windows, holiday_windows = @holiday_windows, updated_at = @updated_at WHERE id = @id',
    );
    this.byIdStatement = db.prepare<[string], ScheduleRow>(`SELECT ${COLUMNS} FROM access_schedules WHERE id = ?`);
    this.listStatement = db.prepare<[], ScheduleRow>(`SELECT ${COLUMNS} FROM access_schedules ORDER BY name`);
    this.deleteStatement = db.prepare<[string]>('DELETE FROM access_schedules WHERE id = ?');
    this.usersStatement = db.prepare<[string], string>('SELECT DISTINCT group_id FROM access_grants WHERE schedule_id = ? ORDER BY group_id').pluck();
  }

  create(input: ScheduleInput): ScheduleRecord {
    const at = this.now();
    const row: ScheduleRow = { id: randomUUID(), ...this.columns(input), created_at: at, updated_at: at };
    writeNamed('schedule', row.name, () => this.insertStatement.run(row));
    return toRecord(row);
  }

  /** null when there is no such schedule. */
  replace(id: string, input: ScheduleInput): ScheduleRecord | null {
    const columns = this.columns(input);
    const { changes } = writeNamed('schedule', columns.name, () => this.updateStatement.run({ id, ...columns, updated_at: this.now() }));
    return changes === 0 ? null : this.get(id);
  }

  get(id: string): ScheduleRecord | null {
    const row = this.byIdStatement.get(id);
    return row ? toRecord(row) : null;
  }

  list(): ScheduleRecord[] {
    return this.listStatement.all().map(toRecord);
  }

  /** Groups whose grants use this schedule. */
  usedBy(id: string): string[] {
    return this.usersStatement.all(id);
  }

  /** False when there was no such schedule; STORE_CONFLICT while a grant uses it. */
  delete(id: string): boolean {
    // The foreign key (ON DELETE RESTRICT) is the safety net; this gives the clear error.
    if (this.usedBy(id).length > 0) throw new StoreError('STORE_CONFLICT', `schedule ${id} is used by a grant`);
    return this.deleteStatement.run(id).changes > 0;
  }

  private columns(input: ScheduleInput): Pick<ScheduleRow, 'name' | 'windows' | 'holiday_windows'> {
    return {
      name: validName('schedule', input.name),
      windows: JSON.stringify(input.windows.map(({ days, start, end }) => ({ days: [...new Set(days)], start, end }))),
      holiday_windows: input.holidayWindows === null ? null : JSON.stringify(input.holidayWindows.map(({ start, end }) => ({ start, end }))),
    };
  }
}

function toRecord(row: ScheduleRow): ScheduleRecord {
  return {
    id: row.id,
    name: row.name,
    windows: JSON.parse(row.windows) as StoredWeeklyWindow[],
    holidayWindows: row.holiday_windows === null ? null : (JSON.parse(row.holiday_windows) as StoredTimeRange[]),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
