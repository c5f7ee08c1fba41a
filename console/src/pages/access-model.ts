// The access policy as the Access page reads it from the API (docs/access-policy.md), and the
// sentences its confirmations use to say what a delete changes.
import { request } from '../api.js';
import type { Window } from './week-grid.js';

export interface Schedule {
  id: string;
  name: string;
  windows: Window[];
  holidayWindows: { start: string; end: string }[] | null;
}
export interface Zone {
  id: string;
  name: string;
  doorIds: string[];
}
export interface Grant {
  zoneId: string;
  scheduleId: string | null;
}
export interface Group {
  id: string;
  name: string;
  grants: Grant[];
  memberCount: number;
}
export interface Door {
  doorId: string;
  factors: 'face' | 'face+pin';
  zoneIds: string[];
  configured: boolean;
}
export interface Holiday {
  date: string;
  name: string;
}
export interface Settings {
  mode: 'open' | 'enforced';
  timeZone: string;
  pin: { entrySeconds: number; maxAttempts: number; lockoutSeconds: number };
}

export interface AccessPolicy {
  settings: Settings;
  doors: Door[];
  zones: Zone[];
  schedules: Schedule[];
  groups: Group[];
  holidays: Holiday[];
}

export async function loadPolicy(): Promise<AccessPolicy> {
  const items = <T>(path: string) => request<{ items: T[] }>('GET', path).then((r) => r.items);
  const [settings, doors, zones, schedules, groups, holidays] = await Promise.all([
    request<Settings>('GET', '/access/settings'),
    items<Door>('/access/doors'),
    items<Zone>('/access/zones'),
    items<Schedule>('/access/schedules'),
    items<Group>('/access/groups'),
    items<Holiday>('/access/holidays'),
  ]);
  return { settings, doors, zones, schedules, groups, holidays };
}

export const zoneName = (policy: AccessPolicy, id: string): string => policy.zones.find((z) => z.id === id)?.name ?? id;
export const scheduleName = (policy: AccessPolicy, id: string | null): string => (id === null ? 'at any time' : (policy.schedules.find((s) => s.id === id)?.name ?? id));

export function grantsText(policy: AccessPolicy, grants: readonly Grant[]): string {
  return grants.map((g) => `${zoneName(policy, g.zoneId)} ${scheduleName(policy, g.scheduleId)}`).join('; ') || 'grants nothing';
}

export function holidaysText(holidayWindows: Schedule['holidayWindows']): string {
  if (holidayWindows === null) return 'holidays are ordinary days';
  return holidayWindows.length ? `on holidays ${holidayWindows.map((w) => `${w.start}–${w.end}`).join(', ')}` : 'closed on holidays';
}

/** Groups that grant `zoneId`: deleting the zone takes their grant of it away. */
export const groupsGranting = (policy: AccessPolicy, zoneId: string): Group[] => policy.groups.filter((g) => g.grants.some((gr) => gr.zoneId === zoneId));
/** Groups whose grants run on `scheduleId`: the API refuses to delete a schedule in use. */
export const groupsOnSchedule = (policy: AccessPolicy, scheduleId: string): Group[] => policy.groups.filter((g) => g.grants.some((gr) => gr.scheduleId === scheduleId));
