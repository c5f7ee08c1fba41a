// The site's access policy as the decision path and the API see it: facts read from the
// database on every call (so an edit applies to the next decision) and judged by evaluatePolicy.
import type { AccessSettingsRepository } from '../../store/access-settings-repository.js';
import type { HolidaysRepository } from '../../store/holidays-repository.js';
import type { PersonAccessRepository } from '../../store/person-access-repository.js';
import { evaluatePolicy } from './evaluate.js';
import type { AccessSettings, PolicyDenial, PolicyFacts } from './model.js';

export interface AccessPolicyStores {
  readonly settings: AccessSettingsRepository;
  readonly holidays: HolidaysRepository;
  readonly personAccess: PersonAccessRepository;
}

export class AccessPolicy {
  constructor(private readonly stores: AccessPolicyStores) {}

  get settings(): AccessSettings {
    return this.stores.settings.get();
  }

  facts(personId: string, doorId: string): PolicyFacts {
    const settings = this.stores.settings.get();
    return {
      settings,
      validity: this.stores.personAccess.validity(personId),
      factors: this.stores.settings.doorFactors(doorId),
      // In open mode grants are not consulted, so they are not read either.
      doorGrants: settings.mode === 'enforced' ? this.stores.personAccess.doorGrants(personId, doorId) : [],
      isHoliday: (date) => this.stores.holidays.has(date),
    };
  }

  /** null: the recognised person may pass `doorId` at `at`; otherwise why not. */
  check(personId: string, doorId: string, at: number): PolicyDenial | null {
    return evaluatePolicy(this.facts(personId, doorId), at);
  }
}
