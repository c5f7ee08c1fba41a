// Health: cameras, broker, model, the outbox queue and the latest errors, refreshed every few
// seconds while the page is open.
import { describe, request } from '../api.js';
import { h, replace, statusLine } from '../dom.js';
import { dateTime } from '../format.js';

interface Camera {
  id: string;
  doorId: string;
  captureState: string;
  framesReceived: number;
  framesAnalysed: number;
  framesDropped: number;
  facesSeen: number;
  facesUsable: number;
  lastFrameAt: string | null;
  lastAnalysisMs: number | null;
}

interface Status {
  applianceId: string;
  startedAt: string;
  uptimeSeconds: number;
  modelId: string;
  gallery: { templates: number };
  cameras: Camera[];
  broker: { state: string; url: string | null; embedded: boolean };
  outbox: { depth: number };
  matching: { threshold: number };
}

interface Health {
  status: Status;
  recentErrors: { at: string; component: string | null; message: string }[];
}

const REFRESH_MS = 5000;

function table(caption: string, head: string[], body: (string | number)[][]): HTMLTableElement {
  return h(
    'table',
    {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, ...head.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, ...body.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
  );
}

export function healthPage(main: HTMLElement): () => void {
  const status = statusLine();
  const body = h('div');
  replace(main, h('h1', { id: 'page-title' }, 'Health'), status, body);

  const render = ({ status: s, recentErrors }: Health): void => {
    const uptime = `${Math.floor(s.uptimeSeconds / 3600)} h ${Math.floor((s.uptimeSeconds % 3600) / 60)} min`;
    replace(
      body,
      h(
        'div',
        { class: 'tiles' },
        h('section', { class: 'card tile', 'data-broker': s.broker.state }, h('h2', {}, 'Broker'), h('p', { class: 'big' }, s.broker.state), h('p', {}, s.broker.embedded ? 'embedded broker' : (s.broker.url ?? '–'))),
        h('section', { class: 'card tile' }, h('h2', {}, 'Model'), h('p', { class: 'big' }, s.modelId), h('p', {}, `${s.gallery.templates} templates · threshold ${s.matching.threshold}`)),
        h('section', { class: 'card tile' }, h('h2', {}, 'Queue'), h('p', { class: 'big', 'data-outbox': s.outbox.depth }, String(s.outbox.depth)), h('p', {}, 'decisions waiting for the broker')),
        h('section', { class: 'card tile' }, h('h2', {}, 'Appliance'), h('p', { class: 'big' }, s.applianceId), h('p', {}, `up ${uptime}, since ${dateTime(s.startedAt)}`)),
      ),
      table(
        'Cameras',
        ['Camera', 'Door', 'State', 'Frames in / analysed / dropped', 'Faces seen / usable', 'Last frame', 'Last analysis'],
        s.cameras.map((c) => [
          c.id,
          c.doorId,
          c.captureState,
          `${c.framesReceived} / ${c.framesAnalysed} / ${c.framesDropped}`,
          `${c.facesSeen} / ${c.facesUsable}`,
          c.lastFrameAt ? dateTime(c.lastFrameAt) : 'never',
          c.lastAnalysisMs === null ? '–' : `${Math.round(c.lastAnalysisMs)} ms`,
        ]),
      ),
      h('h2', {}, 'Recent errors'),
      recentErrors.length
        ? h('ol', { class: 'errors' }, ...recentErrors.map((e) => h('li', {}, h('time', { datetime: e.at }, dateTime(e.at)), ` ${e.component ? `[${e.component}] ` : ''}${e.message}`)))
        : h('p', {}, 'No errors since the appliance started.'),
    );
  };

  const load = (): void => {
    request<Health>('GET', '/status')
      .then((health) => {
        render(health);
        status.textContent = `Updated ${new Date().toLocaleTimeString()}`;
      })
      .catch((err: unknown) => (status.textContent = `Could not load health: ${describe(err)}`));
  };
  load();
  const timer = setInterval(load, REFRESH_MS);
  return () => clearInterval(timer);
}
