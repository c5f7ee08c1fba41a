// The Access page's forms: one editor per kind, used both to create (POST) and to change (PUT)
// a zone, schedule or group, so both ways read and behave the same. Every control is labelled.
import { describe, request } from '../api.js';
import { field, h, statusLine } from '../dom.js';
import type { AccessPolicy, Grant, Group, Schedule, Settings, Zone } from './access-model.js';
import { DAY_NAMES, DAYS, weekGridEditor, type Day } from './week-grid.js';

/** What an editor does when saved or given up. */
export interface EditorHooks {
  /** The write succeeded: `what` says so on the page ("Zone Lobby saved"). */
  readonly saved: (what: string) => void;
  /** Present when editing: the Cancel button puts the item back as it was. */
  readonly cancel?: () => void;
}

interface EditorParts {
  readonly title: string;
  readonly label: string;
  readonly controls: readonly Node[];
  readonly submit: string;
  readonly send: () => Promise<unknown>;
  readonly savedText: () => string;
}

function editorForm(parts: EditorParts, hooks: EditorHooks): HTMLFormElement {
  const status = statusLine();
  const cancel = hooks.cancel ? h('button', { type: 'button', class: 'secondary' }, 'Cancel') : null;
  cancel?.addEventListener('click', hooks.cancel!);
  const form = h('form', { class: 'inline-form editor', 'aria-label': parts.label }, h('h3', {}, parts.title), ...parts.controls, h('div', { class: 'actions' }, h('button', { type: 'submit' }, parts.submit), cancel), status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = parts.savedText();
    parts
      .send()
      .then(() => hooks.saved(text))
      .catch((err: unknown) => (status.textContent = `Not saved: ${describe(err)}`));
  });
  return form;
}

const nameInput = (value = ''): HTMLInputElement => h('input', { type: 'text', required: true, maxlength: 100, value, autocomplete: 'off' });
const write = (path: string, id: string | undefined, body: unknown): Promise<unknown> => (id ? request('PUT', `${path}/${id}`, body) : request('POST', path, body));

export function zoneEditor(policy: AccessPolicy, zone: Zone | null, hooks: EditorHooks): HTMLFormElement {
  const name = nameInput(zone?.name);
  // Doors named by the zone but gone from the config stay listed, so saving keeps or drops them knowingly.
  const doorIds = [...new Set([...policy.doors.map((d) => d.doorId), ...(zone?.doorIds ?? [])])];
  const boxes = doorIds.map((id) => h('input', { type: 'checkbox', value: id, checked: zone?.doorIds.includes(id) ?? false }));
  return editorForm(
    {
      title: zone ? `Edit zone ${zone.name}` : 'New zone',
      label: zone ? `Edit zone ${zone.name}` : 'New zone',
      controls: [field('Zone name', name), h('fieldset', {}, h('legend', {}, 'Doors'), ...boxes.map((b, i) => field(doorIds[i]!, b)))],
      submit: zone ? 'Save zone' : 'Create zone',
      send: () => write('/access/zones', zone?.id, { name: name.value.trim(), doorIds: boxes.filter((b) => b.checked).map((b) => b.value) }),
      savedText: () => `Zone ${name.value.trim()} saved: it applies to the next decision.`,
    },
    hooks,
  );
}

type HolidayRule = 'ordinary' | 'closed' | 'special';

export function scheduleEditor(schedule: Schedule | null, hooks: EditorHooks): HTMLFormElement {
  const name = nameInput(schedule?.name);
  const label = schedule ? `Week of ${schedule.name}` : 'Week of the new schedule';
  const grid = weekGridEditor(label, schedule?.windows ?? []);
  // Precise hours (to the minute) go in through these fields; the grid works in whole hours.
  const days = DAYS.map((d) => h('input', { type: 'checkbox', value: d, checked: !['sat', 'sun'].includes(d) }));
  const start = h('input', { type: 'time', value: '08:00' });
  const end = h('input', { type: 'time', value: '18:00' });
  const addHours = h('button', { type: 'button', class: 'secondary' }, 'Add to the grid');
  const clear = h('button', { type: 'button', class: 'secondary' }, 'Close every hour');
  const hint = statusLine();
  addHours.addEventListener('click', () => {
    const chosen = days.filter((b) => b.checked).map((b) => b.value as Day);
    if (!chosen.length || !start.value || !end.value) {
      hint.textContent = 'Choose at least one day and both times.';
      return;
    }
    grid.add({ days: chosen, start: start.value, end: end.value === '00:00' ? '24:00' : end.value });
    hint.textContent = `Added ${chosen.join(', ')} ${start.value}–${end.value}.`;
  });
  clear.addEventListener('click', () => {
    grid.clear();
    hint.textContent = 'Every hour closed.';
  });
  const rules: [HolidayRule, string][] = [
    ['ordinary', 'Open as on any other day'],
    ['closed', 'Closed'],
    ...(schedule?.holidayWindows?.length ? [['special', `Special hours: ${schedule.holidayWindows.map((w) => `${w.start}–${w.end}`).join(', ')}`] as [HolidayRule, string]] : []),
  ];
  const current: HolidayRule = schedule?.holidayWindows === null || !schedule ? 'ordinary' : schedule.holidayWindows.length ? 'special' : 'closed';
  const holidays = h('select', {}, ...rules.map(([value, text]) => h('option', { value, selected: value === current }, text)));
  const holidayWindows = (): Schedule['holidayWindows'] => ({ ordinary: null, closed: [], special: schedule?.holidayWindows ?? [] })[holidays.value as HolidayRule];
  return editorForm(
    {
      title: schedule ? `Edit schedule ${schedule.name}` : 'New schedule',
      label: schedule ? `Edit schedule ${schedule.name}` : 'New schedule',
      controls: [
        field('Schedule name', name),
        grid.element,
        h(
          'fieldset',
          { class: 'add-hours' },
          h('legend', {}, 'Add opening hours to the grid'),
          h('fieldset', {}, h('legend', {}, 'Days'), ...days.map((b, i) => field(DAY_NAMES[DAYS[i]!], b))),
          field('Opens at', start),
          field('Closes at', end, 'At or before the opening time: runs across midnight'),
          h('div', { class: 'actions' }, addHours, clear),
          hint,
        ),
        field('On public holidays', holidays),
      ],
      submit: schedule ? 'Save schedule' : 'Create schedule',
      send: () => write('/access/schedules', schedule?.id, { name: name.value.trim(), windows: grid.windows(), holidayWindows: holidayWindows() }),
      savedText: () => `Schedule ${name.value.trim()} saved: it applies to the next decision.`,
    },
    hooks,
  );
}

/** One grant row: a zone, on a schedule (or at any time), with its own remove button. */
function grantRow(policy: AccessPolicy, grant: Grant | null, index: number, remove: (row: HTMLFieldSetElement) => void): { row: HTMLFieldSetElement; value: () => Grant } {
  const zone = h('select', { required: true }, ...policy.zones.map((z) => h('option', { value: z.id, selected: z.id === grant?.zoneId }, z.name)));
  const schedule = h('select', {}, h('option', { value: '' }, 'At any time'), ...policy.schedules.map((s) => h('option', { value: s.id, selected: s.id === grant?.scheduleId }, s.name)));
  const drop = h('button', { type: 'button', class: 'link' }, 'Remove this grant');
  const row = h('fieldset', { class: 'grant' }, h('legend', {}, `Grant ${index + 1}`), field('Zone', zone), field('Schedule', schedule), drop);
  drop.addEventListener('click', () => remove(row));
  return { row, value: () => ({ zoneId: zone.value, scheduleId: schedule.value || null }) };
}

export function groupEditor(policy: AccessPolicy, group: Group | null, hooks: EditorHooks): HTMLFormElement {
  const name = nameInput(group?.name);
  const rows: { row: HTMLFieldSetElement; value: () => Grant }[] = [];
  const list = h('div', { class: 'grants' });
  const remove = (row: HTMLFieldSetElement): void => {
    rows.splice(
      rows.findIndex((r) => r.row === row),
      1,
    );
    row.remove();
    rows.forEach((r, i) => (r.row.querySelector('legend')!.textContent = `Grant ${i + 1}`));
  };
  const addRow = (grant: Grant | null): void => {
    const made = grantRow(policy, grant, rows.length, remove);
    rows.push(made);
    list.append(made.row);
  };
  (group ? group.grants : policy.zones.length ? [null] : []).forEach(addRow);
  const more = h('button', { type: 'button', class: 'secondary', disabled: policy.zones.length === 0 }, 'Add a grant');
  more.addEventListener('click', () => addRow(null));
  return editorForm(
    {
      title: group ? `Edit group ${group.name}` : 'New access group',
      label: group ? `Edit group ${group.name}` : 'New access group',
      controls: [field('Group name', name), h('fieldset', {}, h('legend', {}, 'Zones it opens, and when'), list, policy.zones.length ? more : h('p', {}, 'Make a zone first.'))],
      submit: group ? 'Save group' : 'Create group',
      send: () => write('/access/groups', group?.id, { name: name.value.trim(), grants: rows.map((r) => r.value()) }),
      savedText: () => `Group ${name.value.trim()} saved: it applies to the next decision.`,
    },
    hooks,
  );
}

export function settingsEditor(settings: Settings, hooks: EditorHooks): HTMLFormElement {
  const mode = h('select', {}, h('option', { value: 'open', selected: settings.mode === 'open' }, 'open: recognised people pass every door'), h('option', { value: 'enforced', selected: settings.mode === 'enforced' }, 'enforced: only as groups and schedules allow'));
  const zone = h('input', { type: 'text', required: true, value: settings.timeZone, autocomplete: 'off', spellcheck: 'false' });
  // The API's bounds (enroll/access-schemas.ts), so the browser says what is wrong before sending.
  const number = (value: number, min: number, max: number) => h('input', { type: 'number', required: true, min, max, step: 1, value });
  const entry = number(settings.pin.entrySeconds, 5, 300);
  const attempts = number(settings.pin.maxAttempts, 1, 20);
  const lockout = number(settings.pin.lockoutSeconds, 10, 86_400);
  return editorForm(
    {
      title: 'Policy settings',
      label: 'Policy settings',
      controls: [
        field('Mode', mode),
        field('Site time zone (IANA)', zone, 'e.g. Europe/Berlin; schedules are read in this zone'),
        h(
          'fieldset',
          { class: 'pin-limits' },
          h('legend', {}, 'PIN at face + PIN doors'),
          field('Seconds to enter the PIN', entry),
          field('Wrong PINs before a lockout', attempts),
          field('Lockout (seconds)', lockout),
        ),
      ],
      submit: 'Save settings',
      send: () =>
        request('PUT', '/access/settings', {
          mode: mode.value,
          timeZone: zone.value.trim(),
          pin: { entrySeconds: entry.valueAsNumber, maxAttempts: attempts.valueAsNumber, lockoutSeconds: lockout.valueAsNumber },
        }),
      savedText: () => 'Settings saved.',
    },
    hooks,
  );
}

export function holidayEditor(hooks: EditorHooks): HTMLFormElement {
  const date = h('input', { type: 'date', required: true });
  const name = nameInput();
  return editorForm(
    {
      title: 'Add a holiday',
      label: 'Add a holiday',
      controls: [field('Date', date, 'A date already listed is renamed'), field('Holiday name', name)],
      submit: 'Add holiday',
      send: () => request('PUT', `/access/holidays/${date.value}`, { name: name.value.trim() }),
      savedText: () => `Holiday ${date.value} saved.`,
    },
    hooks,
  );
}
