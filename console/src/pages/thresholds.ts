// Thresholds: the operating point in force and what it means (FMR per comparison, FPIR per
// search over the current gallery), the calibration record, the ROC and score histogram of the
// measurements the appliance keeps, and re-calibration for a new target: preview, then apply.
import { canChange, describe, request } from '../api.js';
import { field, h, replace, statusLine } from '../dom.js';
import { dateTime, rate } from '../format.js';

interface ThresholdView {
  operatingPoint: {
    threshold: number;
    targetFmr: number | null;
    targetFpir: number | null;
    measuredFmr: number | null;
    fmrUpperBound95: number | null;
    measuredFpir: number | null;
    fnmr: number | null;
  };
  calibration: Record<string, unknown> | null;
  gallery: { people: number; templates: number };
  measurements: { source: string; impostorComparisons: number; genuineComparisons: number };
  plots: { roc: string | null; histogram: string | null };
}

interface CalibrationOutcome {
  applied: boolean;
  previousThreshold: number;
  threshold: number;
  targetFmr: number;
  targetFpir: number | null;
  empiricalFmr: number;
  fmrUpperBound95: number;
  expectedFnmr: number | null;
  impostorComparisons: number;
  genuineComparisons: number;
  warnings: { code: string; message: string }[];
  writtenTo: string | null;
}

function rows(entries: [string, string][]): HTMLDListElement {
  return h('dl', { class: 'facts' }, ...entries.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

/** A plot SVG from the appliance, shown as an image: an <img> never runs what it displays. */
function plot(svg: string | null, alt: string, missing: string): HTMLElement {
  if (!svg) return h('p', { class: 'note' }, missing);
  const bytes = new TextEncoder().encode(svg);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return h('figure', {}, h('img', { src: `data:image/svg+xml;base64,${btoa(binary)}`, alt, width: 640, height: 360 }), h('figcaption', {}, alt));
}

export function thresholdsPage(main: HTMLElement): void {
  const status = statusLine();
  const body = h('div');
  // The form stays put while the view above it is redrawn, so its outcome and warnings remain.
  replace(main, h('h1', { id: 'page-title' }, 'Thresholds'), status, body, calibrateForm(() => void load()));

  const render = (view: ThresholdView): void => {
    const op = view.operatingPoint;
    const n = view.gallery.templates;
    const record = view.calibration;
    replace(
      body,
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'op-title' },
        h('h2', { id: 'op-title' }, 'Operating point'),
        h('p', { class: 'big', 'data-threshold': op.threshold }, `Threshold ${op.threshold}`),
        h(
          'p',
          {},
          op.targetFmr === null
            ? 'No calibration target is recorded for this threshold.'
            : `Calibrated for a false match rate of ${rate(op.targetFmr)} per comparison. A stranger is compared with all ${n} templates, so the chance that one stranger is taken for someone enrolled is FPIR = 1 − (1 − FMR)^${n} = ${rate(op.targetFpir)} per visit.`,
        ),
        rows([
          ['Gallery', `${view.gallery.people} people, ${n} templates`],
          ['Measured FMR at this threshold', `${rate(op.measuredFmr)} (95% upper bound ${rate(op.fmrUpperBound95)})`],
          ['Measured FPIR for this gallery', rate(op.measuredFpir)],
          ['Measured FNMR at this threshold', rate(op.fnmr)],
          ['Measurements', `${view.measurements.impostorComparisons} impostor, ${view.measurements.genuineComparisons} genuine comparisons: ${view.measurements.source}`],
        ]),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'record-title' },
        h('h2', { id: 'record-title' }, 'Calibration record'),
        record
          ? rows(Object.entries(record).map(([k, v]) => [k, k === 'calibratedAt' && typeof v === 'string' ? dateTime(v) : typeof v === 'number' && !Number.isInteger(v) && k !== 'threshold' ? rate(v) : String(v)]))
          : h('p', {}, 'The threshold was never calibrated on this appliance (it is the model default).'),
      ),
      h(
        'section',
        { class: 'card plots', 'aria-labelledby': 'plots-title' },
        h('h2', { id: 'plots-title' }, 'Evidence'),
        plot(view.plots.roc, 'ROC: true accept rate against false match rate, on the enrolled templates', 'No ROC: it needs both genuine pairs (two photos of one person) and impostor pairs (two people).'),
        plot(view.plots.histogram, 'Histogram of genuine and impostor scores, with the threshold', 'No histogram: the gallery holds no pair of templates yet.'),
      ),
    );
  };

  const load = async (): Promise<void> => {
    try {
      render(await request<ThresholdView>('GET', '/thresholds'));
    } catch (err) {
      status.textContent = `Could not load thresholds: ${describe(err)}`;
    }
  };
  void load();
}

function calibrateForm(applied: () => void): HTMLElement {
  const kind = h('select', { name: 'kind' }, h('option', { value: 'targetFmr' }, 'FMR per comparison'), h('option', { value: 'targetFpir' }, 'FPIR per search over the current gallery'));
  const value = h('input', { type: 'number', name: 'target', min: '0.000001', max: '0.5', step: 'any', required: true, value: '0.001', inputmode: 'decimal' });
  const preview = h('button', { type: 'submit', class: 'secondary' }, 'Preview');
  const apply = h('button', { type: 'button', disabled: !canChange() }, 'Apply new threshold');
  const status = statusLine();
  const result = h('div', { class: 'result', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'target-title' },
    h('h2', { id: 'target-title' }, 'Change the target'),
    h('p', {}, 'Calibration is re-run on the comparisons above; the threshold is the smallest whose measured false match rate meets the target.'),
    field('Target kind', kind),
    field('Target rate', value, 'e.g. 0.001 = one false match in a thousand'),
    h('div', { class: 'actions' }, preview, apply),
    canChange() ? null : h('p', { class: 'note' }, 'A read-only key can preview but not apply.'),
    status,
    result,
  );
  const run = (mode: 'preview' | 'calibrate'): void => {
    const target = { [kind.value]: Number(value.value) };
    status.textContent = mode === 'preview' ? 'Calculating…' : 'Applying…';
    request<CalibrationOutcome>('POST', `/thresholds/${mode}`, target)
      .then((outcome) => {
        status.textContent = outcome.applied
          ? `Applied: threshold ${outcome.previousThreshold} → ${outcome.threshold}${outcome.writtenTo ? ` (written to ${outcome.writtenTo})` : ' (until the next restart: no config file)'}.`
          : `Preview: threshold would be ${outcome.threshold} (now ${outcome.previousThreshold}).`;
        replace(
          result,
          rows([
            ['Threshold', String(outcome.threshold)],
            ['Target', `FMR ${rate(outcome.targetFmr)}${outcome.targetFpir !== null ? ` = FPIR ${rate(outcome.targetFpir)}` : ''}`],
            ['Measured FMR', `${rate(outcome.empiricalFmr)} (95% upper bound ${rate(outcome.fmrUpperBound95)}) over ${outcome.impostorComparisons} impostor comparisons`],
            ['Expected FNMR', outcome.expectedFnmr === null ? 'unknown' : rate(outcome.expectedFnmr)],
          ]),
          outcome.warnings.length ? h('ul', { class: 'warnings' }, ...outcome.warnings.map((w) => h('li', {}, `Warning: ${w.message}`))) : null,
        );
        if (outcome.applied) applied();
      })
      .catch((err: unknown) => (status.textContent = `Not calibrated: ${describe(err)}`));
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    run('preview');
  });
  apply.addEventListener('click', () => {
    if (form.reportValidity()) run('calibrate');
  });
  return form;
}
