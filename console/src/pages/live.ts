// Live: per door, the latest decisions as they are made (Server-Sent Events from
// /live/decisions), newest on top. Each shows outcome, reason, who, the score against the
// threshold in force and whether the face was masked; where the site enables it
// (api.liveThumbnails), a small picture of the face that exists only in the live event: the audit
// rows that fill the page on arrival have none, and nothing keeps it after the page is gone.
import { describe, request } from '../api.js';
import { h, replace, statusLine } from '../dom.js';
import { masked, score, time } from '../format.js';

/** What the page shows of a decision, from the SSE message or an audit-log row. */
export interface LiveDecision {
  readonly eventId: string;
  readonly doorId: string;
  readonly cameraId: string;
  readonly outcome: 'grant' | 'deny' | 'unknown';
  readonly reason: string;
  readonly personId: string | null;
  readonly personName: string | null;
  readonly score: number | null;
  readonly threshold: number;
  readonly masked: boolean | null;
  readonly decidedAt: number;
  /** A JPEG data URL of the face; only on live events, only where the site enables it. */
  readonly thumbnail: string | null;
}

interface AuditRow {
  id: string;
  decidedAt: number;
  cameraId: string;
  doorId: string;
  outcome: LiveDecision['outcome'];
  personId: string | null;
  score: number | null;
  threshold: number;
  masked: boolean | null;
  payload: { reason?: string };
}

interface DecisionMessage extends Omit<LiveDecision, 'decidedAt' | 'thumbnail'> {
  decidedAt: string;
  thumbnail?: string;
}

const PER_DOOR = 8;

function fromAudit(row: AuditRow): LiveDecision {
  return {
    eventId: row.id,
    doorId: row.doorId,
    cameraId: row.cameraId,
    outcome: row.outcome,
    reason: row.payload.reason ?? '',
    personId: row.personId,
    personName: null,
    score: row.score,
    threshold: row.threshold,
    masked: row.masked,
    decidedAt: row.decidedAt,
    thumbnail: null,
  };
}

function decisionItem(d: LiveDecision): HTMLLIElement {
  const comparison = d.score === null ? 'no score' : `score ${score(d.score)} ${d.score >= d.threshold ? '≥' : '<'} threshold ${score(d.threshold)}`;
  const who = d.personName ?? (d.personId ? `person ${d.personId.slice(0, 8)}` : 'nobody recognised');
  // Only data: URLs are shown (the CSP allows no other image source but the appliance itself).
  const face = d.thumbnail?.startsWith('data:image/jpeg;base64,') ? h('img', { class: 'face', src: d.thumbnail, alt: `Face of ${who} at door ${d.doorId}`, width: 64, height: 64 }) : null;
  return h(
    'li',
    { class: `decision ${d.outcome}${face ? ' with-face' : ''}`, 'data-outcome': d.outcome, 'data-reason': d.reason },
    face,
    h('span', { class: 'outcome' }, d.outcome.toUpperCase()),
    h('span', { class: 'reason' }, d.reason.replace(/_/g, ' ')),
    h('span', { class: 'who' }, who),
    h('span', { class: 'score' }, comparison),
    h('span', { class: 'masked' }, masked(d.masked)),
    h('time', { datetime: new Date(d.decidedAt).toISOString() }, time(d.decidedAt)),
  );
}

export function livePage(main: HTMLElement): () => void {
  const doors = new Map<string, { list: HTMLOListElement; items: LiveDecision[] }>();
  const grid = h('div', { class: 'doors' });
  const status = statusLine();
  replace(main, h('h1', { id: 'page-title' }, 'Live'), h('p', {}, 'The latest decisions at each door, as they happen.'), status, grid);

  const door = (doorId: string) => {
    let entry = doors.get(doorId);
    if (!entry) {
      const headingId = `door-${doorId}`;
      const list = h('ol', { class: 'decisions', 'aria-live': 'polite', 'aria-relevant': 'additions' });
      grid.append(h('section', { class: 'door card', 'aria-labelledby': headingId, 'data-door': doorId }, h('h2', { id: headingId }, `Door ${doorId}`), list));
      entry = { list, items: [] };
      doors.set(doorId, entry);
    }
    return entry;
  };

  const show = (d: LiveDecision): void => {
    const entry = door(d.doorId);
    if (entry.items.some((x) => x.eventId === d.eventId)) return;
    entry.items = [d, ...entry.items].sort((a, b) => b.decidedAt - a.decidedAt).slice(0, PER_DOOR);
    replace(entry.list, ...entry.items.map(decisionItem));
  };

  request<{ items: AuditRow[] }>('GET', '/decisions?limit=50')
    .then(async (page) => {
      // Audit rows carry the person id only; the stream carries names. A deleted person stays an id.
      const ids = [...new Set(page.items.flatMap((row) => (row.personId ? [row.personId] : [])))];
      const names = new Map<string, string>();
      await Promise.all(ids.map((id) => request<{ displayName: string }>('GET', `/people/${id}`).then((p) => names.set(id, p.displayName), () => undefined)));
      page.items.reverse().forEach((row) => show({ ...fromAudit(row), personName: row.personId ? (names.get(row.personId) ?? null) : null }));
    })
    .catch((err: unknown) => (status.textContent = `Could not load recent decisions: ${describe(err)}`));
  request<{ status: { cameras?: { doorId: string }[] } }>('GET', '/status')
    .then((health) => health.status.cameras?.forEach((c) => door(c.doorId)))
    .catch(() => undefined);

  const stream = new EventSource('/live/decisions');
  stream.addEventListener('open', () => (status.textContent = 'Connected: decisions appear as they are made.'));
  stream.addEventListener('error', () => (status.textContent = 'Live connection lost; reconnecting…'));
  stream.addEventListener('decision', (event) => {
    const message = JSON.parse((event as MessageEvent<string>).data) as DecisionMessage;
    show({ ...message, decidedAt: Date.parse(message.decidedAt), thumbnail: message.thumbnail ?? null });
  });
  return () => stream.close();
}
