// `maskgate models [--config <file>] [--json]`: every model installed under models/ — face
// embedders, presentation-attack detectors, the mask classifier — with the facts of its card:
// teacher(s), training data, licence and whether commercial use is allowed, development figures,
// and which ones the config puts to use (`model.embedder`, `model.pad`, `model.maskClassifier`).
// The facts come from each model's sidecar (`<model>.json`, its `provenance.card`), so what is
// listed is what the appliance would load, not a hand-kept table.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { loadConfigFile, padModelPaths } from '../../firmware-config/load.js';
import { PACKAGE_ROOT } from '../../firmware-config/package-root.js';
import { sidecarPathFor, validateSidecar } from '../../pipeline/embedder.js';
import { maskSidecarProblems } from '../../pipeline/mask-classifier.js';
import { padSidecarProblems } from '../../pipeline/pad-model.js';
import type { Command } from './command.js';
import { CONFIG_OPTION, parseOptions } from './shared.js';

const USAGE = 'maskgate models [--config <file>] [--json]';

/** What a model does in the appliance, told by its sidecar's fields. */
export type ModelRole = 'embedder' | 'pad' | 'mask-classifier';

const ROLE_NAMES: Record<ModelRole, string> = {
  embedder: 'face embedding',
  pad: 'presentation-attack detection',
  'mask-classifier': 'mask flag',
};

const SIDECAR_PROBLEMS: Record<ModelRole, (json: unknown) => string[]> = {
  embedder: validateSidecar,
  pad: padSidecarProblems,
  'mask-classifier': maskSidecarProblems,
};

/** What `maskgate models` says about one model. */
export interface ModelListing {
  readonly path: string;
  readonly role: ModelRole;
  readonly modelId: string | null;
  readonly licence: string | null;
  /** true / false when the card says so; null when it does not. */
  readonly commercialUse: boolean | null;
  readonly teachers: readonly string[];
  readonly trainingData: readonly string[];
  /** Masked-probe development figures (UMR-MP) from the card, when it has them. */
  readonly devUmrMp: { readonly acc: number; readonly fnmrAtFmr1: number } | null;
  /** Whether the config loads it (model.embedder, one of model.pad, model.maskClassifier). */
  readonly selected: boolean;
  /** Why the sidecar cannot be loaded, when it cannot; the model is still listed. */
  readonly problem: string | null;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** A PAD sidecar says how to crop (`cropScale`) and which class is live; a mask classifier's which
 * class is masked; anything else is read as an embedder's. */
function roleOf(o: Json): ModelRole {
  if ('cropScale' in o || 'liveClass' in o) return 'pad';
  if ('maskedClass' in o) return 'mask-classifier';
  return 'embedder';
}

/** Card facts of one sidecar. A trainer-made sidecar carries `provenance.card`; a third-party
 * model's carries only `licence` and `source`, which is all that can be said about it. */
export function describeModel(path: string, sidecar: unknown, selected: boolean): ModelListing {
  const o = isObject(sidecar) ? sidecar : {};
  const role = roleOf(o);
  const problems = SIDECAR_PROBLEMS[role](sidecar);
  const provenance = isObject(o['provenance']) ? o['provenance'] : {};
  const card = isObject(provenance['card']) ? provenance['card'] : {};
  const teachers = Array.isArray(card['teachers'])
    ? card['teachers'].filter(isObject).map((t) => String(t['name']))
    : [];
  const commercial = card['commercialUse'];
  return {
    path,
    role,
    modelId: typeof o['modelId'] === 'string' ? o['modelId'] : null,
    licence: typeof o['licence'] === 'string' ? o['licence'] : null,
    commercialUse: typeof commercial === 'boolean' ? commercial : null,
    teachers,
    trainingData: strings(card['trainingData']),
    devUmrMp: devFigures(card['devUmrMp']),
    selected,
    problem: problems.length ? problems.join('; ') : null,
  };
}

function devFigures(v: unknown): ModelListing['devUmrMp'] {
  if (!isObject(v) || typeof v['acc'] !== 'number' || typeof v['fnmrAtFmr1'] !== 'number') return null;
  return { acc: v['acc'], fnmrAtFmr1: v['fnmrAtFmr1'] };
}

/** Every `<dir>/<name>/<name>.onnx`-style model under `modelsDir` that has a JSON sidecar beside it;
 * `inUse`: the model files the config loads. */
export async function listModels(modelsDir: string, inUse: readonly string[]): Promise<ModelListing[]> {
  const used = new Set(inUse.map((p) => resolve(p)));
  const out: ModelListing[] = [];
  for (const entry of (await readdir(modelsDir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory()) continue;
    const dir = join(modelsDir, entry.name);
    for (const file of (await readdir(dir)).sort()) {
      if (!file.toLowerCase().endsWith('.onnx')) continue;
      const onnx = join(dir, file);
      let text: string;
      try {
        text = await readFile(sidecarPathFor(onnx), 'utf8');
      } catch {
        continue; // no sidecar: the face detector, which has its own fixed preprocessing
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
      out.push(describeModel(onnx, json, used.has(resolve(onnx))));
    }
  }
  return out;
}

function render(m: ModelListing, root: string): string {
  const yesNo = m.commercialUse === null ? 'not stated' : m.commercialUse ? 'yes' : 'no (see the licence)';
  const lines = [
    `${m.selected ? '* ' : '  '}${relative(root, m.path)}${m.modelId ? `  (${m.modelId})` : ''}${m.selected ? '  [in use]' : ''}`,
    `    role: ${ROLE_NAMES[m.role]}`,
    `    licence: ${m.licence ?? 'unknown'}`,
    `    commercial use: ${yesNo}`,
  ];
  if (m.role === 'embedder') lines.push(`    teachers: ${m.teachers.length ? m.teachers.join(', ') : 'none (pretrained recogniser)'}`);
  if (m.trainingData.length) lines.push(`    training data: ${m.trainingData.join('; ')}`);
  if (m.devUmrMp) {
    lines.push(`    dev UMR-MP: ACC ${m.devUmrMp.acc.toFixed(4)}, FNMR at FMR 1% ${m.devUmrMp.fnmrAtFmr1.toFixed(4)}`);
  }
  if (m.problem) lines.push(`    cannot be loaded: ${m.problem}`);
  return lines.join('\n');
}

export const modelsCommand: Command = {
  name: 'models',
  summary: 'List the models installed under models/ (embedders, PAD, mask flag) with their teachers, training data and licence',
  usage: USAGE,
  async run(args, io) {
    const { values } = parseOptions(args, { ...CONFIG_OPTION, json: { type: 'boolean' } });
    const { config } = loadConfigFile(values.config ?? null);
    const { embedder, maskClassifier } = config.model;
    const models = await listModels(join(PACKAGE_ROOT, 'models'), [embedder, ...padModelPaths(config.model), maskClassifier]);
    if (values.json) {
      io.stdout.write(`${JSON.stringify(models, null, 2)}\n`);
      return 0;
    }
    io.stdout.write(`${models.map((m) => render(m, PACKAGE_ROOT)).join('\n')}\n`);
    io.stdout.write('\n* = in use: model.embedder, model.pad and model.maskClassifier in the config\n');
    return 0;
  },
};
