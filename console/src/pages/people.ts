// People: search, create, enrol photos (files, or one taken with the browser camera) with the
// quality verdict for each, and delete with a confirmation that says exactly what is erased.
import { canChange, describe, request, ApiFailure } from '../api.js';
import { field, h, replace, statusLine } from '../dom.js';
import { confirmChange } from '../confirm.js';
import { dateTime } from '../format.js';
import { cameraCapture } from './camera.js';
import { personAccessSection } from './person-access.js';

export interface Person {
  id: string;
  displayName: string;
  externalId: string | null;
  active: boolean;
  faceCount: number;
  createdAt: number;
}

interface Quality {
  ok: boolean;
  reasons: string[];
  interEyeDistancePx: number;
  sharpness: number;
  yawDeg: number;
  rollDeg: number;
}

interface Face {
  id: string;
  quality: Quality;
  createdAt: number;
  matchable: boolean;
}

interface PhotoResult {
  index: number;
  filename: string | null;
  status: 'enrolled' | 'rejected';
  face?: Face;
  error?: { code: string; message: string };
}

function qualityVerdict(q: Quality): string {
  const measures = `eyes ${Math.round(q.interEyeDistancePx)} px apart, sharpness ${q.sharpness.toFixed(0)}, yaw ${q.yawDeg.toFixed(0)}°, roll ${q.rollDeg.toFixed(0)}°`;
  return q.ok ? `Quality OK: ${measures}` : `Quality issues (${q.reasons.join(', ')}): ${measures}`;
}

/** Per-photo verdicts of an upload; a refused single photo comes back as an error instead. */
function uploadVerdicts(outcome: { results: PhotoResult[] } | ApiFailure, label: string): HTMLLIElement[] {
  if (outcome instanceof ApiFailure) {
    const results = (outcome.details?.['results'] as PhotoResult[] | undefined) ?? null;
    if (!results) return [h('li', { class: 'rejected' }, `${label}: not enrolled: ${outcome.message} (${outcome.code})`)];
    outcome = { results };
  }
  return outcome.results.map((r) =>
    h(
      'li',
      { class: r.status },
      `${r.filename ?? label}: `,
      r.status === 'enrolled' ? `enrolled. ${qualityVerdict(r.face!.quality)}` : `not enrolled: ${r.error?.message ?? 'rejected'} (${r.error?.code ?? 'rejected'})`,
    ),
  );
}

export function peoplePage(main: HTMLElement): () => void {
  const status = statusLine();
  /** What the last change did (created, deleted), kept apart from the list's count. */
  const notice = statusLine();
  const search = h('input', { type: 'search', name: 'q', autocomplete: 'off' });
  const list = h('tbody');
  const detail = h('section', { class: 'card person-detail', 'aria-label': 'Selected person', hidden: true });
  let stopCamera: (() => void) | null = null;

  const load = async (): Promise<void> => {
    const q = search.value.trim();
    try {
      const page = await request<{ items: Person[]; total: number }>('GET', `/people?limit=200${q ? `&q=${encodeURIComponent(q)}` : ''}`);
      replace(
        list,
        ...page.items.map((p) => {
          const open = h('button', { type: 'button', class: 'link' }, p.displayName);
          open.addEventListener('click', () => void select(p.id));
          return h('tr', { 'data-person': p.id }, h('td', {}, open), h('td', {}, p.externalId ?? '–'), h('td', {}, p.faceCount), h('td', {}, p.active ? 'active' : 'inactive'));
        }),
      );
      status.textContent = page.total === 0 ? (q ? `Nobody matches “${q}”.` : 'Nobody is enrolled yet.') : `${page.total} ${page.total === 1 ? 'person' : 'people'}`;
    } catch (err) {
      status.textContent = `Could not load people: ${describe(err)}`;
    }
  };

  const select = async (id: string): Promise<void> => {
    stopCamera?.();
    stopCamera = null;
    let person: Person;
    let faces: Face[];
    try {
      person = await request<Person>('GET', `/people/${id}`);
      faces = (await request<{ items: Face[] }>('GET', `/people/${id}/faces`)).items;
    } catch (err) {
      status.textContent = `Could not open the person: ${describe(err)}`;
      return;
    }
    const results = h('ul', { class: 'verdicts', 'aria-live': 'polite' });
    const facesList = h('ul', { class: 'faces' });
    const showFaces = (items: Face[]): void =>
      replace(
        facesList,
        ...(items.length
          ? items.map((f) => h('li', {}, `Photo of ${dateTime(f.createdAt)}: ${qualityVerdict(f.quality)}${f.matchable ? '' : ' (waiting for re-embedding)'}`))
          : [h('li', {}, 'No reference photo yet: this person cannot be recognised.')]),
      );
    showFaces(faces);
    const upload = async (body: FormData | Blob, label: string): Promise<void> => {
      results.prepend(h('li', {}, `${label}: uploading…`));
      let outcome: { results: PhotoResult[] } | ApiFailure;
      try {
        outcome = await request<{ results: PhotoResult[] }>('POST', `/people/${id}/faces`, body);
      } catch (err) {
        if (!(err instanceof ApiFailure)) throw err;
        outcome = err;
      }
      results.firstChild?.remove();
      results.prepend(...uploadVerdicts(outcome, label));
      await load();
      showFaces((await request<{ items: Face[] }>('GET', `/people/${id}/faces`)).items);
    };

    const changes: Node[] = [];
    if (canChange()) {
      const files = h('input', { type: 'file', name: 'photos', accept: 'image/jpeg,image/png,image/webp', multiple: true });
      const uploadForm = h('form', { class: 'upload' }, field('Reference photos (unmasked, one face each)', files), h('button', { type: 'submit' }, 'Upload photos'));
      uploadForm.addEventListener('submit', (event) => {
        event.preventDefault();
        if (!files.files?.length) return;
        const form = new FormData();
        for (const file of files.files) form.append('photo', file, file.name);
        void upload(form, files.files.length === 1 ? files.files[0]!.name : `${files.files.length} photos`).finally(() => (files.value = ''));
      });
      const camera = cameraCapture((blob) => upload(blob, 'Camera photo'));
      stopCamera = camera.stop;
      const remove = h('button', { type: 'button', class: 'danger' }, `Delete ${person.displayName}…`);
      remove.addEventListener('click', () => confirmDelete(person, async () => {
        await request('DELETE', `/people/${id}`);
        detail.hidden = true;
        notice.textContent = `${person.displayName} was deleted.`;
        await load();
      }));
      changes.push(uploadForm, camera.element, remove);
    }
    replace(
      detail,
      h('h2', {}, person.displayName),
      h('p', {}, `External id: ${person.externalId ?? '–'} · ${person.active ? 'active' : 'inactive'} · enrolled ${dateTime(person.createdAt)}`),
      h('h3', {}, 'Reference photos'),
      facesList,
      results,
      ...changes.slice(0, 2),
      personAccessSection(id, person.displayName),
      ...changes.slice(2),
    );
    detail.hidden = false;
  };

  const searchForm = h('form', { role: 'search', class: 'inline' }, field('Search by name or external id', search), h('button', { type: 'submit' }, 'Search'));
  searchForm.addEventListener('submit', (event) => {
    event.preventDefault();
    void load();
  });

  const createSection = canChange() ? createForm(async (person) => {
    await load();
    await select(person.id);
  }) : h('p', { class: 'note' }, 'Signed in with a read-only key: people can be viewed, not changed.');

  replace(
    main,
    h('h1', { id: 'page-title' }, 'People'),
    searchForm,
    status,
    notice,
    h('table', {}, h('caption', { class: 'visually-hidden' }, 'Enrolled people'), h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'External id'), h('th', { scope: 'col' }, 'Photos'), h('th', { scope: 'col' }, 'State'))), list),
    detail,
    createSection,
  );
  void load();
  return () => stopCamera?.();
}

function createForm(created: (person: Person) => Promise<void>): HTMLFormElement {
  const name = h('input', { type: 'text', name: 'displayName', required: true, maxlength: 200, autocomplete: 'off' });
  const external = h('input', { type: 'text', name: 'externalId', maxlength: 200, autocomplete: 'off' });
  const status = statusLine();
  const form = h('form', { class: 'card', 'aria-labelledby': 'new-person' }, h('h2', { id: 'new-person' }, 'New person'), field('Name', name), field('External id (optional)', external, 'Id in the HR or badge system'), h('button', { type: 'submit' }, 'Create person'), status);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const body = { displayName: name.value.trim(), ...(external.value.trim() ? { externalId: external.value.trim() } : {}) };
    request<Person>('POST', '/people', body)
      .then(async (person) => {
        form.reset();
        status.textContent = `${person.displayName} created. Add a reference photo below.`;
        await created(person);
      })
      .catch((err: unknown) => (status.textContent = `Not created: ${describe(err)}`));
  });
  return form;
}

/** The confirmation names everything deletion erases. */
function confirmDelete(person: Person, erase: () => Promise<void>): void {
  confirmChange({
    title: `Delete ${person.displayName}?`,
    intro: 'This erases from this appliance, at once and for good:',
    changes: [
      `the person record (name${person.externalId ? `, external id ${person.externalId}` : ''})`,
      `${person.faceCount} reference ${person.faceCount === 1 ? 'photo' : 'photos'}: the aligned face crops and their templates (embeddings)`,
      'their access groups, validity period and PIN',
      'any copy in the database journal (it is truncated)',
    ],
    note: 'Doors stop recognising them immediately. Past decisions stay in the audit log under their person id, without any face data.',
    confirmLabel: `Erase ${person.displayName}`,
    action: erase,
  });
}
