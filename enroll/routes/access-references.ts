// What access-policy request bodies refer to must exist before anything is written: a group
// granting a zone that is gone, or a zone naming a door no config knows, is refused with
// reference_not_found instead of a foreign-key failure. Also maps a taken name to name_conflict.
import type { Gallery } from '../../access/gallery.js';
import type { SitePolicy } from '../../access/policy/site-policy.js';
import { StoreError } from '../../store/errors.js';
import { ApiError } from '../errors.js';

/** The access policy the routes edit, and the door ids the config knows right now. */
export interface AccessRoutesOptions {
  readonly site: SitePolicy;
  /** People live in the gallery; the policy only refers to them. */
  readonly gallery: Gallery;
  readonly doorIds: () => readonly string[];
}

function refuse(field: string, id: string, what: string): never {
  throw new ApiError('reference_not_found', `No ${what} ${id}`, { field, id });
}

export function requireKnownDoors(options: AccessRoutesOptions, doorIds: readonly string[]): void {
  const known = new Set(options.doorIds());
  doorIds.forEach((id, i) => known.has(id) || refuse(`doorIds/${i}`, id, 'door in the config with id'));
}

export function requireGrantTargets(site: SitePolicy, grants: readonly { zoneId: string; scheduleId: string | null }[]): void {
  grants.forEach((grant, i) => {
    if (!site.zones.get(grant.zoneId)) refuse(`grants/${i}/zoneId`, grant.zoneId, 'zone with id');
    if (grant.scheduleId !== null && !site.schedules.get(grant.scheduleId)) refuse(`grants/${i}/scheduleId`, grant.scheduleId, 'schedule with id');
  });
}

export function requireGroups(site: SitePolicy, groupIds: readonly string[]): void {
  groupIds.forEach((id, i) => site.groups.get(id) || refuse(`groupIds/${i}`, id, 'group with id'));
}

/** Runs a write of a named zone, schedule or group; a taken name becomes 409 name_conflict. */
export function uniquelyNamed<T>(write: () => T): T {
  try {
    return write();
  } catch (error) {
    if (error instanceof StoreError && error.code === 'STORE_CONFLICT') throw new ApiError('name_conflict', error.message);
    throw error;
  }
}
