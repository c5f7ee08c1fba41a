// The site-wide access policy as one document: settings, door factors, zones, schedules,
// holidays and groups with their grants — everything of the policy that is not a person's own.
// The replication authority reads it whole; a replica replaces its own with it whole, in one
// transaction, so a deletion on the authority is a deletion on the replica without any
// tombstone bookkeeping, however long the replica was away. Ids and timestamps are kept, so
// the API reads the same on every appliance.
import type { Database } from './database.js';
import type { AccessSettingsRecord, StoredDoorFactors } from './access-settings-repository.js';
import type { HolidayRecord } from './holidays-repository.js';
import type { StoredTimeRange, StoredWeeklyWindow } from './schedules-repository.js';

export interface PolicyDocument {
  readonly settings: AccessSettingsRecord;
  readonly doors: readonly { readonly doorId: string; readonly factors: StoredDoorFactors }[];
  readonly zones: readonly { readonly id: string; readonly name: string; readonly doorIds: readonly string[]; readonly createdAt: number; readonly updatedAt: number }[];
  readonly schedules: readonly {
    readonly id: string;
    readonly name: string;
    readonly windows: readonly StoredWeeklyWindow[];
    readonly holidayWindows: readonly StoredTimeRange[] | null;
    readonly createdAt: number;
    readonly updatedAt: number;
  }[];
  readonly holidays: readonly HolidayRecord[];
  readonly groups: readonly {
    readonly id: string;
    readonly name: string;
    readonly grants: readonly { readonly zoneId: string; readonly scheduleId: string | null }[];
    readonly createdAt: number;
    readonly updatedAt: number;
  }[];
}

interface SettingsRow {
  mode: 'open' | 'enforced';
  time_zone: string;
  pin_entry_seconds: number;
  pin_max_attempts: number;
  pin_lockout_seconds: number;
}

export class PolicyDocumentRepository {
  constructor(private readonly db: Database) {}

  /** The current policy, read in one transaction so its parts agree. */
  read(): PolicyDocument {
    const { db } = this;
    return db.transaction((): PolicyDocument => {
      const settings = db
        .prepare<[], SettingsRow>('SELECT mode, time_zone, pin_entry_seconds, pin_max_attempts, pin_lockout_seconds FROM access_settings WHERE id = 1')
        .get()!;
      const zoneDoors = groupBy(db.prepare<[], { zone_id: string; door_id: string }>('SELECT zone_id, door_id FROM access_zone_doors ORDER BY door_id').all(), (r) => r.zone_id);
      const grants = groupBy(
        db.prepare<[], { group_id: string; zone_id: string; schedule_id: string | null }>('SELECT group_id, zone_id, schedule_id FROM access_grants ORDER BY zone_id').all(),
        (r) => r.group_id,
      );
      type Named = { id: string; name: string; created_at: number; updated_at: number };
      return {
        settings: {
          mode: settings.mode,
          timeZone: settings.time_zone,
          pin: { entrySeconds: settings.pin_entry_seconds, maxAttempts: settings.pin_max_attempts, lockoutSeconds: settings.pin_lockout_seconds },
        },
        doors: db.prepare<[], { doorId: string; factors: StoredDoorFactors }>('SELECT door_id AS doorId, factors FROM access_doors ORDER BY door_id').all(),
        zones: db
          .prepare<[], Named>('SELECT id, name, created_at, updated_at FROM access_zones ORDER BY id')
          .all()
          .map((z) => ({ id: z.id, name: z.name, doorIds: (zoneDoors.get(z.id) ?? []).map((d) => d.door_id), createdAt: z.created_at, updatedAt: z.updated_at })),
        schedules: db
          .prepare<[], Named & { windows: string; holiday_windows: string | null }>('SELECT id, name, windows, holiday_windows, created_at, updated_at FROM access_schedules ORDER BY id')
          .all()
          .map((s) => ({
            id: s.id,
            name: s.name,
            windows: JSON.parse(s.windows) as StoredWeeklyWindow[],
            holidayWindows: s.holiday_windows === null ? null : (JSON.parse(s.holiday_windows) as StoredTimeRange[]),
            createdAt: s.created_at,
            updatedAt: s.updated_at,
          })),
        holidays: db.prepare<[], HolidayRecord>('SELECT date, name FROM access_holidays ORDER BY date').all(),
        groups: db
          .prepare<[], Named>('SELECT id, name, created_at, updated_at FROM access_groups ORDER BY id')
          .all()
          .map((g) => ({
            id: g.id,
            name: g.name,
            grants: (grants.get(g.id) ?? []).map((r) => ({ zoneId: r.zone_id, scheduleId: r.schedule_id })),
            createdAt: g.created_at,
            updatedAt: g.updated_at,
          })),
      };
    })();
  }

  /**
   * Makes this database's policy exactly `doc`, inside the caller's transaction. Memberships of
   * groups that leave cascade away; the caller restores those the people still hold.
   * Throws (and the caller's transaction rolls back) when `doc` is inconsistent, e.g. a grant
   * naming a schedule the document lacks: the foreign keys check it.
   */
  replace(doc: PolicyDocument): void {
    const { db } = this;
    // Groups first: their grants RESTRICT the schedules' deletion.
    db.prepare('DELETE FROM access_groups').run();
    db.prepare('DELETE FROM access_zones').run();
    db.prepare('DELETE FROM access_schedules').run();
    db.prepare('DELETE FROM access_holidays').run();
    db.prepare('DELETE FROM access_doors').run();
    db.prepare<[SettingsRow & { updated_at: number }]>(
      `UPDATE access_settings SET mode = @mode, time_zone = @time_zone, pin_entry_seconds = @pin_entry_seconds,
         pin_max_attempts = @pin_max_attempts, pin_lockout_seconds = @pin_lockout_seconds, updated_at = @updated_at WHERE id = 1`,
    ).run({
      updated_at: Date.now(),
      mode: doc.settings.mode,
      time_zone: doc.settings.timeZone,
      pin_entry_seconds: doc.settings.pin.entrySeconds,
      pin_max_attempts: doc.settings.pin.maxAttempts,
      pin_lockout_seconds: doc.settings.pin.lockoutSeconds,
    });
    const door = db.prepare<[string, string]>('INSERT INTO access_doors (door_id, factors) VALUES (?, ?)');
    for (const d of doc.doors) door.run(d.doorId, d.factors);
    const zone = db.prepare<[string, string, number, number]>('INSERT INTO access_zones (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)');
    const zoneDoor = db.prepare<[string, string]>('INSERT OR IGNORE INTO access_zone_doors (zone_id, door_id) VALUES (?, ?)');
    for (const z of doc.zones) {
      zone.run(z.id, z.name, z.createdAt, z.updatedAt);
      for (const doorId of z.doorIds) zoneDoor.run(z.id, doorId);
    }
    const schedule = db.prepare<[string, string, string, string | null, number, number]>(
      'INSERT INTO access_schedules (id, name, windows, holiday_windows, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    for (const s of doc.schedules) {
      schedule.run(s.id, s.name, JSON.stringify(s.windows), s.holidayWindows === null ? null : JSON.stringify(s.holidayWindows), s.createdAt, s.updatedAt);
    }
    const holiday = db.prepare<[string, string]>('INSERT INTO access_holidays (date, name) VALUES (?, ?)');
    for (const h of doc.holidays) holiday.run(h.date, h.name);
    const group = db.prepare<[string, string, number, number]>('INSERT INTO access_groups (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)');
    const grant = db.prepare<[string, string, string | null]>('INSERT OR REPLACE INTO access_grants (group_id, zone_id, schedule_id) VALUES (?, ?, ?)');
    for (const g of doc.groups) {
      group.run(g.id, g.name, g.createdAt, g.updatedAt);
      for (const r of g.grants) grant.run(g.id, r.zoneId, r.scheduleId);
    }
  }

  /** Those of `groupIds` that exist here (a person's snapshot may name a group not yet replicated). */
  existingGroups(groupIds: readonly string[]): string[] {
    const exists = this.db.prepare<[string], number>('SELECT 1 FROM access_groups WHERE id = ?').pluck();
    return groupIds.filter((id) => exists.get(id) !== undefined);
  }
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const row of rows) {
    const list = map.get(key(row));
    if (list) list.push(row);
    else map.set(key(row), [row]);
  }
  return map;
}
