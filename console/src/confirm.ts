// The one confirmation dialog for deletes: it says what will change before anything does. The
// focus starts on Cancel, the safe choice; Escape closes it; a failure is shown in the dialog.
import { describe } from './api.js';
import { h, statusLine } from './dom.js';

export interface Confirmation {
  /** The dialog's name, e.g. "Delete Ada?" */
  readonly title: string;
  /** What will change, one item each (erased data, people who lose access, …). */
  readonly changes: readonly string[];
  readonly intro?: string;
  readonly note?: string;
  /** The label of the button that does it, e.g. "Erase Ada". */
  readonly confirmLabel: string;
  /** Why it cannot be done now (e.g. a schedule still in use): the button is disabled. */
  readonly blockedBy?: string | null;
  readonly action: () => Promise<unknown>;
}

let dialogs = 0;

export function confirmChange(c: Confirmation): HTMLDialogElement {
  const id = `confirm-${++dialogs}`;
  const cancel = h('button', { type: 'button', class: 'secondary' }, 'Cancel');
  const confirm = h('button', { type: 'button', class: 'danger', disabled: Boolean(c.blockedBy) }, c.confirmLabel);
  const status = statusLine('assertive');
  const dialog = h(
    'dialog',
    { 'aria-labelledby': `${id}-title`, 'aria-describedby': `${id}-what` },
    h('h2', { id: `${id}-title` }, c.title),
    h(
      'div',
      { id: `${id}-what` },
      h('p', {}, c.intro ?? 'This changes, at once:'),
      h('ul', {}, ...c.changes.map((change) => h('li', {}, change))),
      c.note ? h('p', {}, c.note) : null,
      c.blockedBy ? h('p', { class: 'warnings' }, c.blockedBy) : null,
    ),
    status,
    h('div', { class: 'actions' }, cancel, confirm),
  );
  cancel.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => dialog.remove());
  confirm.addEventListener('click', () => {
    confirm.disabled = true;
    c.action()
      .then(() => dialog.close())
      .catch((err: unknown) => {
        status.textContent = `Not done: ${describe(err)}`;
        confirm.disabled = false;
      });
  });
  document.body.append(dialog);
  dialog.showModal();
  cancel.focus();
  return dialog;
}
