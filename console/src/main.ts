// The console's shell: sign-in, navigation between pages (hash routes, so a reload or a bookmark
// lands on the same page) and sign-out. Each page renders into <main> and may return a cleanup.
import './style.css';
import { canChange, currentSession, describe, resume, signIn, signOut, whenSignedOut } from './api.js';
import { field, h, replace, statusLine } from './dom.js';
import { accessPage } from './pages/access.js';
import { healthPage } from './pages/health.js';
import { livePage } from './pages/live.js';
import { peoplePage } from './pages/people.js';
import { thresholdsPage } from './pages/thresholds.js';

export type Cleanup = () => void;
export type Page = (main: HTMLElement) => Cleanup | void;

const PAGES: readonly { path: string; title: string; render: Page }[] = [
  { path: 'live', title: 'Live', render: livePage },
  { path: 'people', title: 'People', render: peoplePage },
  { path: 'access', title: 'Access', render: accessPage },
  { path: 'thresholds', title: 'Thresholds', render: thresholdsPage },
  { path: 'health', title: 'Health', render: healthPage },
];

const app = document.getElementById('app')!;
let cleanup: Cleanup | void;

function currentPath(): string {
  const path = location.hash.replace(/^#\/?/, '');
  return PAGES.some((p) => p.path === path) ? path : 'live';
}

function renderSignIn(message?: string): void {
  cleanup?.();
  cleanup = undefined;
  const key = h('input', { type: 'password', name: 'apiKey', autocomplete: 'current-password', required: true, spellcheck: 'false' });
  const status = statusLine('assertive');
  if (message) status.textContent = message;
  const form = h(
    'form',
    { class: 'sign-in', 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'maskgate console'),
    field('API key', key, 'An admin key can change things; a read-only key can only look.'),
    h('button', { type: 'submit' }, 'Sign in'),
    status,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    status.textContent = 'Signing in…';
    signIn(key.value.trim())
      .then(() => {
        key.value = '';
        renderShell();
      })
      .catch((err: unknown) => {
        status.textContent = `Sign-in failed: ${describe(err)}`;
        key.focus();
      });
  });
  replace(app, h('main', { id: 'main' }, form));
  key.focus();
}

function renderShell(): void {
  const session = currentSession()!;
  const path = currentPath();
  const page = PAGES.find((p) => p.path === path)!;
  cleanup?.();
  const main = h('main', { id: 'main', tabindex: '-1', 'aria-labelledby': 'page-title' });
  const nav = h(
    'nav',
    { 'aria-label': 'Pages' },
    h('ul', {}, ...PAGES.map((p) => h('li', {}, h('a', { href: `#/${p.path}`, 'aria-current': p.path === path ? 'page' : null }, p.title)))),
  );
  const signOutButton = h('button', { type: 'button', class: 'secondary' }, 'Sign out');
  signOutButton.addEventListener('click', () => void signOut().finally(() => renderSignIn('Signed out.')));
  const header = h(
    'header',
    {},
    h('span', { class: 'brand' }, 'maskgate'),
    nav,
    h('span', { class: 'who' }, `${session.keyName} · ${canChange() ? 'admin' : 'read-only'}`),
    signOutButton,
  );
  replace(app, header, main);
  document.title = `${page.title} · maskgate console`;
  cleanup = page.render(main);
}

window.addEventListener('hashchange', () => {
  if (currentSession()) {
    renderShell();
    document.getElementById('main')?.focus();
  }
});
whenSignedOut(() => renderSignIn('Your session has ended. Sign in again.'));

void resume().then((session) => (session ? renderShell() : renderSignIn()));
