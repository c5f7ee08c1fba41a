// The access-policy routes of docs/access-policy.md: zones, schedules, groups (one shape, see
// named-resource.ts), holidays, settings and doors (access-settings.ts) and a person's access.
import type { FastifyPluginAsync } from 'fastify';
import { rangeProblem } from '../../access/policy/schedule.js';
import { Group, GroupInput, Schedule, ScheduleInput, Zone, ZoneInput, type ScheduleInputType } from '../access-schemas.js';
import { ApiError } from '../errors.js';
import { requireGrantTargets, requireKnownDoors, type AccessRoutesOptions } from './access-references.js';
import { accessSettingsRoutes } from './access-settings.js';
import { groupMembersRoutes } from './group-members.js';
import { holidaysRoutes } from './holidays.js';
import { namedResourceRoutes } from './named-resource.js';
import { personAccessRoutes } from './person-access.js';

function checkSchedule(schedule: ScheduleInputType): void {
  const ranges = [...schedule.windows.map((w, i) => [`windows/${i}`, w] as const), ...(schedule.holidayWindows ?? []).map((w, i) => [`holidayWindows/${i}`, w] as const)];
  for (const [path, range] of ranges) {
    const problem = rangeProblem(range);
    if (problem) throw new ApiError('validation_failed', `${path}: ${problem}`, { in: 'body', issues: [{ path: `/${path}`, message: problem }] });
  }
}

export const accessPolicyRoutes: FastifyPluginAsync<AccessRoutesOptions> = async (app, options) => {
  const { site } = options;
  namedResourceRoutes(app, {
    path: '/access/zones',
    noun: 'zone',
    notFound: 'zone_not_found',
    input: ZoneInput,
    output: Zone,
    store: site.zones,
    check: (zone) => requireKnownDoors(options, zone.doorIds),
  });
  namedResourceRoutes(app, {
    path: '/access/schedules',
    noun: 'schedule',
    notFound: 'schedule_not_found',
    input: ScheduleInput,
    output: Schedule,
    store: site.schedules,
    check: checkSchedule,
    beforeDelete: (id) => {
      const groupIds = site.schedules.usedBy(id);
      if (groupIds.length > 0) throw new ApiError('schedule_in_use', `Schedule ${id} is used by ${groupIds.length} group(s)`, { groupIds });
    },
  });
  namedResourceRoutes(app, {
    path: '/access/groups',
    noun: 'group',
    notFound: 'group_not_found',
    input: GroupInput,
    output: Group,
    store: site.groups,
    check: (group) => requireGrantTargets(site, group.grants),
  });
  await app.register(groupMembersRoutes, options);
  await app.register(holidaysRoutes, options);
  await app.register(accessSettingsRoutes, options);
  await app.register(personAccessRoutes, options);
};
