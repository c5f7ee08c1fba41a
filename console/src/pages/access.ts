// Access: zones (doors grouped), access groups (zone on schedule grants) and schedules drawn as a
// week grid, against the access-policy API (docs/access-policy.md). Admins create zones,
// schedules and groups here; memberships and validity are set per person on the People page.
import { ApiFailure, canChange, describe, request } from '../api.js';
import { field, h, replace, statusLine } from '../dom.js';

type Day = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
const DAYS: readonly Day[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DAY_NAMES: Record<Day, string> = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' };

interface Window {
  days: Day[];
  start: string;
  end: string;
}
interface Schedule {
  id: string;
  name: string;
  windows: Window[];
  holidayWindows: { start: string; end: string }[] | null;
}
interface Zone {
  id: string;
  name: string;
  doorIds: string[];
}
interface Group {
  id: string;
  name: string;
  grants: { zoneId: string; scheduleId: string | null }[];
  memberCount: number;
}
interface Door {
  doorId: string;
  factors: string;
  zoneIds: string[];
  configured: boolean;
}
interface Holiday {
  date: string;
  name: string;
}
interface Settings {
  mode: 'open' | 'enforced';
  timeZone: string;
  pin: { entrySeconds: number; maxAttempts: number; lockoutSeconds: number };
}

const minutes = (hhmm: string): number => {
  const [hh, mm] = hhmm.split(':').map(Number);
  return hh! * 60 + mm!;
};

/**
 * Hours of the week a schedule is open, per day: a window belongs to the day it starts on and,
 * when its end is at or before its start, runs on into the next day (docs/access-policy.md).
 */
export function openHours(windows: readonly Window[]): boolean[][] {
  const grid = DAYS.map(() => new Array<boolean>(24).fill(false));
  const mark = (day: number, from: number, to: number): void => {
    for (let hour = 0; hour < 24; hour++) if (hour * 60 < to && (hour + 1) * 60 > from) grid[day % 7]![hour] = true;
  };
  for (const w of windows) {
    const start = minutes(w.start);
    const end = minutes(w.end);
    for (const d of w.days) {
      const day = DAYS.indexOf(d);
      if (end > start) mark(day, start, end);
      else {
        mark(day, start, 24 * 60);
        mark(day + 1, 0, end);
      }
    }
  }
  return grid;
}

function weekGrid(schedule: Schedule): HTMLTableElement {
  const grid = openHours(schedule.windows);
  return h(
    'table',
    { class: 'week' },
    h('caption', {}, `${schedule.name}: ${schedule.windows.map((w) => `${w.days.join(', ')} ${w.start}–${w.end}`).join('; ') || 'never open'}${schedule.holidayWindows === null ? '' : schedule.holidayWindows.length ? '; holidays: special hours' : '; closed on holidays'}`),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Day'), ...Array.from({ length: 24 }, (_, hour) => h('th', { scope: 'col', abbr: `${hour}:00` }, hour % 3 === 0 ? String(hour) : '')))),
    h(
      'tbody',
      {},
      ...DAYS.map((d, i) =>
        h('tr', {}, h('th', { scope: 'row' }, DAY_NAMES[d].slice(0, 3)), ...grid[i]!.map((open, hour) => h('td', { class: open ? 'open' : 'closed', title: `${DAY_NAMES[d]} ${hour}:00 ${open ? 'open' : 'closed'}` }, h('span', { class: 'visually-hidden' }, open ? 'open' : 'closed')))),
      ),
    ),
  );
}

export function accessPage(main: HTMLElement): void {
  const status = statusLine();
  const body = h('div');
  replace(main, h('h1', { id: 'page-title' }, 'Access'), status, body);

  const load = async (): Promise<void> => {
    let settings: Settings, doors: Door[], zones: Zone[], schedules: Schedule[], groups: Group[], holidays: Holiday[];
    try {
      [settings, doors, zones, schedules, groups, holidays] = await Promise.all([
        request<Settings>('GET', '/access/settings'),
        request<{ items: Door[] }>('GET', '/access/doors').then((r) => r.items),
        request<{ items: Zone[] }>('GET', '/access/zones').then((r) => r.items),
        request<{ items: Schedule[] }>('GET', '/access/schedules').then((r) => r.items),
        request<{ items: Group[] }>('GET', '/access/groups').then((r) => r.items),
        request<{ items: Holiday[] }>('GET', '/access/holidays').then((r) => r.items),
      ]);
    } catch (err) {
      status.textContent =
        err instanceof ApiFailure && err.code === 'route_not_found'
          ? 'This appliance has no access policy API yet: every recognised, active person is granted at every door.'
          : `Could not load the access policy: ${describe(err)}`;
      return;
    }
    const zoneName = (id: string) => zones.find((z) => z.id === id)?.name ?? id;
    const scheduleName = (id: string | null) => (id === null ? 'at any time' : (schedules.find((s) => s.id === id)?.name ?? id));
    replace(
      body,
      h('p', { 'data-mode': settings.mode }, settings.mode === 'open' ? `Mode: open — zones, groups and schedules are not checked (validity and PIN doors are). Time zone ${settings.timeZone}.` : `Mode: enforced — a door is opened only for members of a group that grants it now. Time zone ${settings.timeZone}.`),
      canChange() ? settingsForm(settings, () => void load()) : null,
      h('section', { class: 'card', 'aria-labelledby': 'zones-title' }, h('h2', { id: 'zones-title' }, 'Zones'), zones.length ? h('ul', {}, ...zones.map((z) => h('li', {}, `${z.name}: ${z.doorIds.join(', ') || 'no doors'}`))) : h('p', {}, 'No zones.'), canChange() ? zoneForm(doors, () => void load()) : null),
      h('section', { class: 'card', 'aria-labelledby': 'schedules-title' }, h('h2', { id: 'schedules-title' }, 'Schedules'), ...schedules.map(weekGrid), schedules.length ? null : h('p', {}, 'No schedules.'), canChange() ? scheduleForm(() => void load()) : null),
      holidaysSection(holidays, () => void load()),
      h('section', { class: 'card', 'aria-labelledby': 'groups-title' }, h('h2', { id: 'groups-title' }, 'Access groups'), groups.length ? h('ul', {}, ...groups.map((g) => h('li', { 'data-group': g.name }, `${g.name} (${g.memberCount} members): ${g.grants.map((gr) => `${zoneName(gr.zoneId)} ${scheduleName(gr.scheduleId)}`).join('; ') || 'grants nothing'}`))) : h('p', {}, 'No groups.'), canChange() ? groupForm(zones, schedules, () => void load()) : null),
    );
  };
  void load();
}

function submitting(form: HTMLFormElement, status: HTMLElement, send: () => Promise<unknown>, done: () => void): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    send()
      .then(() => {
        form.reset();
        done();
      })
      .catch((err: unknown) => (status.textContent = `Not saved: ${describe(err)}`));
  });
}

function zoneForm(doors: Door[], done: () => void): HTMLFormElement {
  const name = h('input', { type: 'text', required: true, maxlength: 100 });
  const boxes = doors.map((d) => h('input', { type: 'checkbox', value: d.doorId }));
  const status = statusLine();
  const form = h('form', { class: 'inline-form' }, h('h3', {}, 'New zone'), field('Zone name', name), h('fieldset', {}, h('legend', {}, 'Doors'), ...boxes.map((b, i) => field(doors[i]!.doorId, b))), h('button', { type: 'submit' }, 'Create zone'), status);
  submitting(form, status, () => request('POST', '/access/zones', { name: name.value.trim(), doorIds: boxes.filter((b) => b.checked).map((b) => b.value) }), done);
  return form;
}

function scheduleForm(done: () => void): HTMLFormElement {
  const name = h('input', { type: 'text', required: true, maxlength: 100 });
  const boxes = DAYS.map((d) => h('input', { type: 'checkbox', value: d, checked: !['sat', 'sun'].includes(d) }));
  const start = h('input', { type: 'time', required: true, value: '08:00' });
  const end = h('input', { type: 'time', required: true, value: '18:00' });
  const closedOnHolidays = h('input', { type: 'checkbox' });
  const status = statusLine();
  const form = h(
    'form',
    { class: 'inline-form' },
    h('h3', {}, 'New schedule'),
    field('Schedule name', name),
    h('fieldset', {}, h('legend', {}, 'Days'), ...boxes.map((b, i) => field(DAY_NAMES[DAYS[i]!], b))),
    field('Opens at', start),
    field('Closes at', end, 'At or before the opening time: runs across midnight'),
    field('Closed on public holidays', closedOnHolidays),
    h('button', { type: 'submit' }, 'Create schedule'),
    status,
  );
  submitting(
    form,
    status,
    () =>
      request('POST', '/access/schedules', {
        name: name.value.trim(),
        windows: [{ days: boxes.filter((b) => b.checked).map((b) => b.value), start: start.value, end: end.value === '00:00' ? '24:00' : end.value }],
        holidayWindows: closedOnHolidays.checked ? [] : null,
      }),
    done,
  );
  return form;
}

function groupForm(zones: Zone[], schedules: Schedule[], done: () => void): HTMLFormElement {
  const name = h('input', { type: 'text', required: true, maxlength: 100 });
  const zone = h('select', { required: true }, ...zones.map((z) => h('option', { value: z.id }, z.name)));
  const schedule = h('select', {}, h('option', { value: '' }, 'At any time'), ...schedules.map((s) => h('option', { value: s.id }, s.name)));
  const status = statusLine();
  const form = h('form', { class: 'inline-form' }, h('h3', {}, 'New access group'), field('Group name', name), field('Zone', zone), field('Schedule', schedule), h('button', { type: 'submit', disabled: zones.length === 0 }, 'Create group'), status);
  submitting(form, status, () => request('POST', '/access/groups', { name: name.value.trim(), grants: [{ zoneId: zone.value, scheduleId: schedule.value || null }] }), done);
  return form;
}

function settingsForm(settings: Settings, done: () => void): HTMLFormElement {
  const mode = h('select', {}, h('option', { value: 'open', selected: settings.mode === 'open' }, 'open: recognised people pass every door'), h('option', { value: 'enforced', selected: settings.mode === 'enforced' }, 'enforced: only as groups and schedules allow'));
  const zone = h('input', { type: 'text', required: true, value: settings.timeZone, autocomplete: 'off', spellcheck: 'false' });
  const status = statusLine();
  const form = h('form', { class: 'card', 'aria-labelledby': 'settings-title' }, h('h2', { id: 'settings-title' }, 'Policy settings'), field('Mode', mode), field('Site time zone (IANA)', zone, 'e.g. Europe/Berlin; schedules are read in this zone'), h('button', { type: 'submit' }, 'Save settings'), status);
  // PUT replaces the whole settings resource: the PIN limits go back unchanged.
  submitting(form, status, () => request('PUT', '/access/settings', { ...settings, mode: mode.value, timeZone: zone.value.trim() }), done);
  return form;
}

/** Site-wide public holidays: schedules say what happens on them (docs/access-policy.md). */
function holidaysSection(holidays: Holiday[], done: () => void): HTMLElement {
  const status = statusLine();
  const items = holidays.map((d) => {
    const remove = h('button', { type: 'button', class: 'secondary', 'aria-label': `Remove holiday ${d.name} on ${d.date}` }, 'Remove');
    remove.addEventListener('click', () => {
      request('DELETE', `/access/holidays/${d.date}`)
        .then(done)
        .catch((err: unknown) => (status.textContent = `Not removed: ${describe(err)}`));
    });
    return h('li', { 'data-holiday': d.date }, `${d.date} ${d.name} `, canChange() ? remove : null);
  });
  let form: HTMLFormElement | null = null;
  if (canChange()) {
    const date = h('input', { type: 'date', required: true });
    const name = h('input', { type: 'text', required: true, maxlength: 100 });
    form = h('form', { class: 'inline-form' }, h('h3', {}, 'Add a holiday'), field('Date', date), field('Holiday name', name), h('button', { type: 'submit' }, 'Add holiday'));
    submitting(form, status, () => request('PUT', `/access/holidays/${date.value}`, { name: name.value.trim() }), done);
  }
  return h('section', { class: 'card', 'aria-labelledby': 'holidays-title' }, h('h2', { id: 'holidays-title' }, 'Public holidays'), items.length ? h('ul', {}, ...items) : h('p', {}, 'No holidays.'), form, status);
}
