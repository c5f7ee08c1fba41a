// Access: the site's access policy (docs/access-policy.md). Everyone sees the mode, the doors and
// their factors, zones, schedules as week grids, holidays and access groups; admins also change
// them here — create, edit in place, delete after a confirmation that says what changes.
// Memberships, validity and PINs are set per person on the People page.
import { ApiFailure, canChange, describe, request } from '../api.js';
import { confirmChange } from '../confirm.js';
import { field, h, replace, statusLine } from '../dom.js';
import { grantsText, groupsGranting, groupsOnSchedule, holidaysText, loadPolicy, type AccessPolicy, type Door, type Group, type Holiday, type Schedule, type Zone } from './access-model.js';
import { groupEditor, holidayEditor, scheduleEditor, settingsEditor, zoneEditor, type EditorHooks } from './access-editors.js';
import { weekGridTable, windowsText } from './week-grid.js';

/** A list item that an admin can edit in place (the editor replaces it until saved or cancelled) and delete. */
function editableItem(attributes: Record<string, string>, view: readonly Node[], kind: string, name: string, edit: (hooks: EditorHooks) => HTMLFormElement, saved: (what: string) => void, remove: () => void): HTMLLIElement {
  const item = h('li', attributes);
  const show = (): void => {
    if (!canChange()) return replace(item, ...view);
    const editButton = h('button', { type: 'button', class: 'secondary', 'aria-label': `Edit ${kind} ${name}` }, 'Edit');
    const deleteButton = h('button', { type: 'button', class: 'secondary', 'aria-label': `Delete ${kind} ${name}…` }, 'Delete…');
    editButton.addEventListener('click', () => {
      // Cancel puts the item back and the focus on its Edit button, where the admin left off.
      const cancel = (): void => {
        show();
        item.querySelector('button')?.focus();
      };
      const form = edit({ saved, cancel });
      replace(item, form);
      form.querySelector('input')?.focus();
    });
    deleteButton.addEventListener('click', remove);
    replace(item, ...view, h('div', { class: 'actions' }, editButton, deleteButton));
  };
  show();
  return item;
}

function listOrNone(items: readonly HTMLLIElement[], none: string): HTMLElement {
  return items.length ? h('ul', { class: 'items' }, ...items) : h('p', {}, none);
}

export function accessPage(main: HTMLElement): void {
  const status = statusLine();
  const body = h('div');
  replace(main, h('h1', { id: 'page-title' }, 'Access'), status, body);

  const load = async (): Promise<void> => {
    let policy: AccessPolicy;
    try {
      policy = await loadPolicy();
    } catch (err) {
      status.textContent =
        err instanceof ApiFailure && err.code === 'route_not_found'
          ? 'This appliance has no access policy API yet: every recognised, active person is granted at every door.'
          : `Could not load the access policy: ${describe(err)}`;
      return;
    }
    const saved = (what: string): void => {
      status.textContent = what;
      void load();
    };
    const deleted = (path: string, what: string) => async () => {
      await request('DELETE', path);
      saved(what);
    };
    const { settings } = policy;
    replace(
      body,
      h('p', { 'data-mode': settings.mode }, settings.mode === 'open' ? `Mode: open — zones, groups and schedules are not checked (validity and PIN doors are). Time zone ${settings.timeZone}.` : `Mode: enforced — a door is opened only for members of a group that grants it now. Time zone ${settings.timeZone}.`),
      canChange() ? h('section', { class: 'card' }, settingsEditor(settings, { saved })) : null,
      doorsSection(policy, saved),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'zones-title' },
        h('h2', { id: 'zones-title' }, 'Zones'),
        listOrNone(
          policy.zones.map((z) => editableItem({ 'data-zone': z.name }, [h('span', {}, `${z.name}: ${z.doorIds.join(', ') || 'no doors'}`)], 'zone', z.name, (hooks) => zoneEditor(policy, z, hooks), saved, () => confirmZoneDelete(policy, z, deleted(`/access/zones/${z.id}`, `Zone ${z.name} deleted.`)))),
          'No zones.',
        ),
        canChange() ? zoneEditor(policy, null, { saved }) : null,
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'schedules-title' },
        h('h2', { id: 'schedules-title' }, 'Schedules'),
        listOrNone(
          policy.schedules.map((s) =>
            editableItem({ 'data-schedule': s.name }, [weekGridTable(`${s.name}: ${windowsText(s.windows)}; ${holidaysText(s.holidayWindows)}`, s.windows)], 'schedule', s.name, (hooks) => scheduleEditor(s, hooks), saved, () =>
              confirmScheduleDelete(policy, s, deleted(`/access/schedules/${s.id}`, `Schedule ${s.name} deleted.`)),
            ),
          ),
          'No schedules.',
        ),
        canChange() ? scheduleEditor(null, { saved }) : null,
      ),
      holidaysSection(policy.holidays, saved, deleted),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'groups-title' },
        h('h2', { id: 'groups-title' }, 'Access groups'),
        listOrNone(
          policy.groups.map((g) => editableItem({ 'data-group': g.name }, [h('span', {}, `${g.name} (${g.memberCount} ${g.memberCount === 1 ? 'member' : 'members'}): ${grantsText(policy, g.grants)}`)], 'group', g.name, (hooks) => groupEditor(policy, g, hooks), saved, () => void confirmGroupDelete(policy, g, deleted(`/access/groups/${g.id}`, `Group ${g.name} deleted.`)))),
          'No groups.',
        ),
        canChange() ? groupEditor(policy, null, { saved }) : null,
      ),
    );
  };
  void load();
}

/** Each door's zones and factors; admins switch a door between face and face+pin. */
function doorsSection(policy: AccessPolicy, saved: (what: string) => void): HTMLElement {
  const status = statusLine();
  const items = policy.doors.map((d: Door) => {
    const zones = d.zoneIds.map((id) => policy.zones.find((z) => z.id === id)?.name ?? id).join(', ') || 'no zone';
    const text = `${d.doorId}${d.configured ? '' : ' (no longer in the config)'}: ${zones}`;
    if (!canChange()) return h('li', { 'data-door': d.doorId }, `${text}; ${d.factors}`);
    const factors = h('select', {}, h('option', { value: 'face', selected: d.factors === 'face' }, 'face'), h('option', { value: 'face+pin', selected: d.factors === 'face+pin' }, 'face + PIN on the keypad'));
    factors.addEventListener('change', () => {
      request('PUT', `/access/doors/${d.doorId}`, { factors: factors.value })
        .then(() => saved(`Door ${d.doorId} now asks for ${factors.value}.`))
        .catch((err: unknown) => (status.textContent = `Not saved: ${describe(err)}`));
    });
    return h('li', { 'data-door': d.doorId }, h('span', {}, text), field(`Factors at door ${d.doorId}`, factors));
  });
  return h('section', { class: 'card', 'aria-labelledby': 'doors-title' }, h('h2', { id: 'doors-title' }, 'Doors'), listOrNone(items, 'No doors in the config.'), status);
}

/** Site-wide public holidays: schedules say what happens on them (docs/access-policy.md). */
function holidaysSection(holidays: readonly Holiday[], saved: (what: string) => void, deleted: (path: string, what: string) => () => Promise<void>): HTMLElement {
  const items = holidays.map((d) => {
    const remove = h('button', { type: 'button', class: 'secondary', 'aria-label': `Remove holiday ${d.name} on ${d.date}…` }, 'Remove…');
    remove.addEventListener('click', () =>
      confirmChange({
        title: `Remove the holiday ${d.name}?`,
        changes: [`${d.date} is no longer a public holiday: every schedule treats it as an ordinary day of the week (schedules closed or with special hours on holidays open as usual).`],
        confirmLabel: `Remove ${d.name}`,
        action: deleted(`/access/holidays/${d.date}`, `Holiday ${d.date} removed.`),
      }),
    );
    return h('li', { 'data-holiday': d.date }, `${d.date} ${d.name} `, canChange() ? remove : null);
  });
  return h('section', { class: 'card', 'aria-labelledby': 'holidays-title' }, h('h2', { id: 'holidays-title' }, 'Public holidays'), items.length ? h('ul', {}, ...items) : h('p', {}, 'No holidays.'), canChange() ? holidayEditor({ saved }) : null);
}

function confirmZoneDelete(policy: AccessPolicy, zone: Zone, action: () => Promise<void>): void {
  const granting = groupsGranting(policy, zone.id);
  confirmChange({
    title: `Delete zone ${zone.name}?`,
    changes: [
      `The zone ${zone.name} goes${zone.doorIds.length ? `, and its doors (${zone.doorIds.join(', ')}) leave it` : ''}.`,
      granting.length ? `Groups ${granting.map((g) => g.name).join(', ')} lose their grant of it: with the policy enforced, their members no longer pass these doors through it.` : 'No group grants it.',
    ],
    confirmLabel: `Delete zone ${zone.name}`,
    action,
  });
}

function confirmScheduleDelete(policy: AccessPolicy, schedule: Schedule, action: () => Promise<void>): void {
  const using = groupsOnSchedule(policy, schedule.id);
  confirmChange({
    title: `Delete schedule ${schedule.name}?`,
    changes: [`The schedule ${schedule.name} (${windowsText(schedule.windows)}) goes.`],
    blockedBy: using.length ? `Groups ${using.map((g) => g.name).join(', ')} grant zones on it: change their grants first.` : null,
    confirmLabel: `Delete schedule ${schedule.name}`,
    action,
  });
}

async function confirmGroupDelete(policy: AccessPolicy, group: Group, action: () => Promise<void>): Promise<void> {
  // Names, not just a count: the admin sees whose access ends.
  const members = await request<{ items: { displayName: string }[] }>('GET', `/access/groups/${group.id}/members`).then(
    (r) => r.items.map((m) => m.displayName),
    () => null,
  );
  const who = members === null ? `${group.memberCount} ${group.memberCount === 1 ? 'member' : 'members'}` : members.length ? members.join(', ') : 'nobody';
  confirmChange({
    title: `Delete group ${group.name}?`,
    changes: [`The group ${group.name} goes, with its grants (${grantsText(policy, group.grants)}).`, `Its members lose the access it gave them: ${who}. Their other groups still apply.`],
    confirmLabel: `Delete group ${group.name}`,
    action,
  });
}
