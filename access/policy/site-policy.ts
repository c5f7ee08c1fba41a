// The access policy of one appliance, assembled over its database: the stores the API edits,
// the policy the decision path reads, the PIN check and the face+pin entries, and the gate
// (the DecisionPolicy) that daemon/appliance.ts puts between the track decider and the doors.
import { AccessGroupsRepository } from '../../store/access-groups-repository.js';
import { AccessSettingsRepository } from '../../store/access-settings-repository.js';
import type { Database } from '../../store/database.js';
import { HolidaysRepository } from '../../store/holidays-repository.js';
import { PersonAccessRepository } from '../../store/person-access-repository.js';
import { PinsRepository } from '../../store/pins-repository.js';
import { SchedulesRepository } from '../../store/schedules-repository.js';
import { ZonesRepository } from '../../store/zones-repository.js';
import { AccessPolicy } from './access-policy.js';
import { PinCheck } from './pin-check.js';
import { PinEntry } from './pin-entry.js';
import { PolicyGate } from './policy-gate.js';

export class SitePolicy {
  readonly settings: AccessSettingsRepository;
  readonly zones: ZonesRepository;
  readonly schedules: SchedulesRepository;
  readonly holidays: HolidaysRepository;
  readonly groups: AccessGroupsRepository;
  readonly personAccess: PersonAccessRepository;
  readonly policy: AccessPolicy;
  readonly pins: PinCheck;
  readonly pinEntry: PinEntry;
  readonly gate: PolicyGate;

  constructor(db: Database) {
    this.settings = new AccessSettingsRepository(db);
    this.zones = new ZonesRepository(db);
    this.schedules = new SchedulesRepository(db);
    this.holidays = new HolidaysRepository(db);
    this.groups = new AccessGroupsRepository(db);
    this.personAccess = new PersonAccessRepository(db);
    this.policy = new AccessPolicy({ settings: this.settings, holidays: this.holidays, personAccess: this.personAccess });
    this.pins = new PinCheck(new PinsRepository(db), () => this.settings.get().pin);
    this.pinEntry = new PinEntry(this.pins, () => this.settings.get().pin.entrySeconds);
    this.gate = new PolicyGate(this.policy, this.pinEntry);
  }
}
