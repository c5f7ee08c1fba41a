// The site-wide access policy as one document: settings, door factors, zones, schedules,
// holidays and groups with their grants — everything of the policy that is not a person's own.
// The replication authority reads it whole; a replica replaces its own with it whole, in one
// transaction, so a deletion on the authority is a deletion on the replica without any
// tombstone bookkeeping, however long the replica was away. Ids and timestamps are kept, so
// the API reads the same on every appliance.
import { AccessGroupsRepository } from './access-groups-repository.js';
import { AccessSettingsRepository, type AccessSettingsRecord, type StoredDoorFactors } from './access-settings-repository.js';
import type { Database } from './database.js';
import { HolidaysRepository, type HolidayRecord } from './holidays-repository.js';
import { SchedulesRepository, type StoredTimeRange, type StoredWeeklyWindow } from './schedules-repository.js';
import { ZonesRepository } from './zones-repository.js';

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

export class PolicyDocumentRepository {
  private readonly settings: AccessSettingsRepository;
  private readonly zones: ZonesRepository;
  private readonly schedules: SchedulesRepository;
  private readonly holidays: HolidaysRepository;
  private readonly groups: AccessGroupsRepository;

  constructor(private readonly db: Database) {
    this.settings = new AccessSettingsRepository(db);
    this.zones = new ZonesRepository(db);
    this.schedules = new SchedulesRepository(db);
    this.holidays = new HolidaysRepository(db);
    this.groups = new AccessGroupsRepository(db);
  }

  /** The current policy, read in one transaction so its parts agree (each list by name). */
  read(): PolicyDocument {
    return this.db.transaction((): PolicyDocument => ({
      settings: this.settings.get(),
      doors: [...this.settings.allDoorFactors()].map(([doorId, factors]) => ({ doorId, factors })).sort((a, b) => a.doorId.localeCompare(b.doorId)),
      zones: this.zones.list(),
      schedules: this.schedules.list(),
      holidays: this.holidays.list(),
      // memberCount is the appliance's own count, not policy.
      groups: this.groups.list().map(({ memberCount: _count, ...group }) => group),
    }))();
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
    this.settings.update(doc.settings);
    for (const d of doc.doors) this.settings.setDoorFactors(d.doorId, d.factors);
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
    for (const h of doc.holidays) this.holidays.put(h.date, h.name);
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
