// A person's side of the access policy on the People page: the groups they belong to, their
// validity period (docs/access-policy.md, PUT /people/{id}/access) and their PIN for face+pin
// doors (set or clear; the appliance keeps only a scrypt hash and never shows it). Appliances
// without the policy API show nothing here.
import { ApiFailure, canChange, describe, request } from '../api.js';
import { confirmChange } from '../confirm.js';
import { field, h, replace, statusLine } from '../dom.js';
import { dateTime } from '../format.js';

interface PersonAccess {
  groupIds: string[];
  validFrom: string | null;
  validUntil: string | null;
  pin: { set: boolean; lockedUntil: string | null };
}

interface Group {
  id: string;
  name: string;
}

/** `datetime-local` works in the browser's local time; the API takes instants. */
const toLocalInput = (iso: string | null): string => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};
const fromLocalInput = (value: string): string | null => (value ? new Date(value).toISOString() : null);

const pinText = (pin: PersonAccess['pin']): string => (pin.set ? `PIN set${pin.lockedUntil ? `, locked until ${dateTime(pin.lockedUntil)} after wrong entries` : ''}.` : 'No PIN.');

/** Set or clear the PIN; the field is a password field, emptied after each attempt. */
function pinForm(personId: string, displayName: string, pin: PersonAccess['pin']): HTMLFormElement {
  const state = h('p', { 'data-pin': pin.set ? 'set' : 'none' }, pinText(pin));
  const input = h('input', { type: 'password', inputmode: 'numeric', autocomplete: 'new-password', pattern: '[0-9]{4,12}', minlength: 4, maxlength: 12, required: true });
  const clear = h('button', { type: 'button', class: 'secondary', hidden: !pin.set }, 'Clear PIN…');
  const status = statusLine();
  const show = (set: boolean, text: string): void => {
    state.dataset['pin'] = set ? 'set' : 'none';
    state.textContent = pinText({ set, lockedUntil: null });
    clear.hidden = !set;
    status.textContent = text;
  };
  const form = h('form', { class: 'pin', 'aria-label': `PIN of ${displayName}` }, h('h4', {}, 'PIN for face + PIN doors'), state, field('New PIN (4 to 12 digits)', input, 'Setting a PIN also lifts a lockout'), h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Set PIN'), clear), status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    request('PUT', `/people/${personId}/pin`, { pin: input.value })
      .then(() => show(true, 'PIN set: it applies to the next PIN entry.'))
      .catch((err: unknown) => (status.textContent = `PIN not set: ${describe(err)}`))
      .finally(() => (input.value = ''));
  });
  clear.addEventListener('click', () =>
    confirmChange({
      title: `Clear the PIN of ${displayName}?`,
      changes: [`${displayName} no longer has a PIN: at face + PIN doors they are refused until a new one is set. Doors that ask for the face only are not affected.`],
      confirmLabel: 'Clear PIN',
      action: () => request('DELETE', `/people/${personId}/pin`).then(() => show(false, 'PIN cleared.')),
    }),
  );
  return form;
}

export function personAccessSection(personId: string, displayName: string): HTMLElement {
  const section = h('section', { class: 'person-access', 'aria-labelledby': `access-${personId}` });
  void (async () => {
    let access: PersonAccess;
    let groups: Group[];
    try {
      [access, groups] = await Promise.all([
        request<PersonAccess>('GET', `/people/${personId}/access`),
        request<{ items: Group[] }>('GET', '/access/groups').then((r) => r.items),
      ]);
    } catch (err) {
      if (err instanceof ApiFailure && err.code === 'route_not_found') return section.remove();
      replace(section, h('p', {}, `Access: ${describe(err)}`));
      return;
    }
    const heading = h('h3', { id: `access-${personId}` }, 'Access');
    const validity = `Valid ${access.validFrom ? `from ${dateTime(access.validFrom)}` : 'from enrolment'} ${access.validUntil ? `until ${dateTime(access.validUntil)}` : 'with no end'}.`;
    if (!canChange()) {
      const names = groups.filter((g) => access.groupIds.includes(g.id)).map((g) => g.name);
      replace(section, heading, h('p', {}, `Groups: ${names.join(', ') || 'none'}. ${validity} ${pinText(access.pin)}`));
      return;
    }
    const boxes = groups.map((g) => h('input', { type: 'checkbox', value: g.id, checked: access.groupIds.includes(g.id) }));
    const from = h('input', { type: 'datetime-local', value: toLocalInput(access.validFrom) });
    const until = h('input', { type: 'datetime-local', value: toLocalInput(access.validUntil) });
    const status = statusLine();
    const form = h(
      'form',
      {},
      h('fieldset', {}, h('legend', {}, 'Access groups'), ...(groups.length ? boxes.map((b, i) => field(groups[i]!.name, b)) : [h('p', {}, 'No groups yet: make them on the Access page.')])),
      field('Valid from (optional)', from, 'Contractors and visitors: the first moment they may pass'),
      field('Valid until (optional)', until, 'The moment their access ends'),
      h('button', { type: 'submit' }, 'Save access'),
      status,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const body = { groupIds: boxes.filter((b) => b.checked).map((b) => b.value), validFrom: fromLocalInput(from.value), validUntil: fromLocalInput(until.value) };
      request('PUT', `/people/${personId}/access`, body)
        .then(() => (status.textContent = 'Access saved: it applies to the next decision.'))
        .catch((err: unknown) => (status.textContent = `Not saved: ${describe(err)}`));
    });
    replace(section, heading, form, pinForm(personId, displayName, access.pin));
  })();
  return section;
}
