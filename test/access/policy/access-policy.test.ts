import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../store/database.js';
import { migrate } from '../../../store/migration-runner.js';
import { MIGRATIONS } from '../../../store/migrations.js';
import { makeTempDir } from '../../store/helpers.js';
import { policyFixture } from './helpers.js';

const mondayNoon = Date.parse('2026-06-08T10:00:00Z'); // 12:00 in Berlin
const mondayNight = Date.parse('2026-06-08T21:00:00Z'); // 23:00 in Berlin

describe('AccessPolicy over the store', () => {
  let fixture = policyFixture();
  afterEach(() => {
    fixture.db.close();
    fixture = policyFixture();
  });

  function site() {
    const { zones, schedules, groups, people, personAccess, settings } = fixture;
    settings.update({ ...settings.get(), mode: 'enforced', timeZone: 'Europe/Berlin' });
    const lobby = zones.create({ name: 'Lobby', doorIds: ['front', 'side'] });
    const lab = zones.create({ name: 'Lab', doorIds: ['lab'] });
    const office = schedules.create({ name: 'Office hours', windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '18:00' }], holidayWindows: [] });
    const staff = groups.create({ name: 'Staff', grants: [{ zoneId: lobby.id, scheduleId: office.id }] });
    const ada = people.create({ displayName: 'Ada' });
    personAccess.replace(ada.id, [staff.id], { validFrom: null, validUntil: null });
    return { lobby, lab, office, staff, ada };
  }

  it('grants at a door of a granted zone inside the schedule, and says why not elsewhere', () => {
    const { ada } = site();
    expect(fixture.policy.check(ada.id, 'front', mondayNoon)).toBeNull();
    expect(fixture.policy.check(ada.id, 'side', mondayNoon)).toBeNull();
    expect(fixture.policy.check(ada.id, 'lab', mondayNoon)).toBe('door_not_permitted');
    expect(fixture.policy.check(ada.id, 'front', mondayNight)).toBe('outside_schedule');
    expect(fixture.policy.check(ada.id, 'unknown-door', mondayNoon)).toBe('door_not_permitted');
  });

  it('applies every edit to the very next check', () => {
    const { ada, lab, staff, lobby, office } = site();
    fixture.groups.replace(staff.id, { name: 'Staff', grants: [{ zoneId: lobby.id, scheduleId: office.id }, { zoneId: lab.id, scheduleId: null }] });
    expect(fixture.policy.check(ada.id, 'lab', mondayNight)).toBeNull();
    fixture.holidays.put('2026-06-08', 'Whit Monday');
    expect(fixture.policy.check(ada.id, 'front', mondayNoon)).toBe('outside_schedule');
    fixture.holidays.delete('2026-06-08');
    fixture.personAccess.replace(ada.id, [staff.id], { validFrom: null, validUntil: mondayNoon });
    expect(fixture.policy.check(ada.id, 'front', mondayNoon)).toBe('expired');
    fixture.personAccess.replace(ada.id, [], { validFrom: null, validUntil: null });
    expect(fixture.policy.check(ada.id, 'front', mondayNoon)).toBe('door_not_permitted');
    fixture.settings.update({ ...fixture.settings.get(), mode: 'open' });
    expect(fixture.policy.check(ada.id, 'lab', mondayNight)).toBeNull();
    fixture.settings.setDoorFactors('lab', 'face+pin');
    expect(fixture.policy.check(ada.id, 'lab', mondayNight)).toBe('pin_required');
    fixture.zones.delete(lab.id);
    expect(fixture.groups.get(staff.id)!.grants.map((g) => g.zoneId)).toEqual([lobby.id]);
  });

  it('deleting a person removes their memberships, validity and PIN', async () => {
    const { ada, staff } = site();
    fixture.personAccess.replace(ada.id, [staff.id], { validFrom: mondayNoon, validUntil: null });
    await fixture.pinCheck.set(ada.id, '2580');
    expect(fixture.groups.get(staff.id)!.memberCount).toBe(1);
    fixture.people.delete(ada.id);
    const left = (table: string) => fixture.db.prepare(`SELECT COUNT(*) FROM ${table} WHERE person_id = ?`).pluck().get(ada.id);
    expect(left('access_memberships')).toBe(0);
    expect(left('access_validity')).toBe(0);
    expect(left('access_pins')).toBe(0);
    expect(fixture.groups.get(staff.id)!.memberCount).toBe(0);
  });

  it('refuses to delete a schedule a grant still uses, and names taken twice', () => {
    const { office, staff } = site();
    expect(fixture.schedules.usedBy(office.id)).toEqual([staff.id]);
    expect(() => fixture.schedules.delete(office.id)).toThrow(expect.objectContaining({ code: 'STORE_CONFLICT' }));
    expect(() => fixture.zones.create({ name: 'Lobby', doorIds: [] })).toThrow(expect.objectContaining({ code: 'STORE_CONFLICT' }));
    expect(() => fixture.personAccess.replace(staff.id, [], { validFrom: 5, validUntil: 5 })).toThrow(expect.objectContaining({ code: 'STORE_INVALID_INPUT' }));
  });
});

describe('upgrading a database from before access policy', () => {
  it('keeps granting everyone everywhere: open mode, no PIN doors, people and decisions kept', () => {
    const dir = makeTempDir();
    try {
      const file = dir.file('old.db');
      const old = openDatabase(file, { migrations: MIGRATIONS.slice(0, 1) });
      old.prepare("INSERT INTO people (id, display_name, created_at, updated_at) VALUES ('p1', 'Old Timer', 1, 1)").run();
      old.close();
      const db = openDatabase(file);
      const fixture = policyFixture(db);
      expect(fixture.settings.get()).toEqual({ mode: 'open', timeZone: 'UTC', pin: { entrySeconds: 30, maxAttempts: 5, lockoutSeconds: 300 } });
      expect(fixture.people.get('p1')?.displayName).toBe('Old Timer');
      expect(fixture.policy.check('p1', 'any-door', mondayNight)).toBeNull();
      expect(migrate(db, MIGRATIONS).applied).toEqual([]);
      db.close();
    } finally {
      dir.remove();
    }
  });
});
