// A migrated in-memory database with the access-policy stores over it, and people to judge.
import { AccessPolicy } from '../../../access/policy/access-policy.js';
import { PinCheck } from '../../../access/policy/pin-check.js';
import { AccessGroupsRepository } from '../../../store/access-groups-repository.js';
import { AccessSettingsRepository } from '../../../store/access-settings-repository.js';
import { openDatabase, type Database } from '../../../store/database.js';
import { HolidaysRepository } from '../../../store/holidays-repository.js';
import { PeopleRepository } from '../../../store/people-repository.js';
import { PersonAccessRepository } from '../../../store/person-access-repository.js';
import { PinsRepository } from '../../../store/pins-repository.js';
import { SchedulesRepository } from '../../../store/schedules-repository.js';
import { ZonesRepository } from '../../../store/zones-repository.js';

export function policyFixture(db: Database = openDatabase(':memory:')) {
  const settings = new AccessSettingsRepository(db);
  const holidays = new HolidaysRepository(db);
  const personAccess = new PersonAccessRepository(db);
  const pins = new PinsRepository(db);
  return {
    db,
    people: new PeopleRepository(db),
    zones: new ZonesRepository(db),
    schedules: new SchedulesRepository(db),
    groups: new AccessGroupsRepository(db),
    settings,
    holidays,
    personAccess,
    pins,
    policy: new AccessPolicy({ settings, holidays, personAccess }),
    pinCheck: new PinCheck(pins, () => settings.get().pin),
  };
}
