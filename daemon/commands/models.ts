// `maskgate models [--config <file>] [--json]`: every embedding model installed under models/ with
// the facts of its card — teacher(s), training data, licence and whether commercial use is
// allowed, its development figures — and which one the config selects (`model.embedder`).
// The facts come from each model's sidecar (`<model>.json`, its `provenance.card`), so what is
// listed is what the appliance would load, not a hand-kept table.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { loadConfigFile } from '../../firmware-config/load.js';
import { PACKAGE_ROOT } from '../../firmware-config/package-root.js';
import { sidecarPathFor, validateSidecar } from '../../pipeline/embedder.js';
import type { Command } from './command.js';
import { CONFIG_OPTION, parseOptions } from './shared.js';

const USAGE = 'maskgate models [--config <file>] [--json]';

/** What `maskgate models` says about one model. */
export interface ModelListing {
  readonly path: string;
  readonly modelId: string | null;
  readonly licence: string | null;
  /** true / false when the card says so; null when it does not. */
  readonly commercialUse: boolean | null;
  readonly teachers: readonly string[];
  readonly trainingData: readonly string[];
  /** Masked-probe development figures (UMR-MP) from the card, when it has them. */
  readonly devUmrMp: { readonly acc: number; readonly fnmrAtFmr1: number } | null;
  readonly selected: boolean;
  /** Why the sidecar cannot be loaded, when it cannot; the model is still listed. */
  readonly problem: string | null;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Card facts of one sidecar. A trainer-made sidecar carries `provenance.card`; a third-party
 * recogniser's carries only `licence` and `source`, which is all that can be said about it. */
export function describeModel(path: string, sidecar: unknown, selected: boolean): ModelListing {
  const problems = validateSidecar(sidecar);
  const o = isObject(sidecar) ? sidecar : {};
  const provenance = isObject(o['provenance']) ? o['provenance'] : {};
  const card = isObject(provenance['card']) ? provenance['card'] : {};
  const teachers = Array.isArray(card['teachers'])
    ? card['teachers'].filter(isObject).map((t) => String(t['name']))
    : [];
  const commercial = card['commercialUse'];
  return {
    path,
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

/** Every `<dir>/<name>/<name>.onnx`-style model under `modelsDir` that has a JSON sidecar beside it. */
export async function listModels(modelsDir: string, selectedPath: string | null): Promise<ModelListing[]> {
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
        continue; // no sidecar: not an embedding model (the detector)
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
      out.push(describeModel(onnx, json, selectedPath !== null && resolve(onnx) === resolve(selectedPath)));
    }
  }
  return out;
}

function render(m: ModelListing, root: string): string {
  const yesNo = m.commercialUse === null ? 'not stated' : m.commercialUse ? 'yes' : 'no (see the licence)';
  const lines = [
    `${m.selected ? '* ' : '  '}${relative(root, m.path)}${m.modelId ? `  (${m.modelId})` : ''}${m.selected ? '  [selected]' : ''}`,
    `    licence: ${m.licence ?? 'unknown'}`,
    `    commercial use: ${yesNo}`,
    `    teachers: ${m.teachers.length ? m.teachers.join(', ') : 'none (pretrained recogniser)'}`,
  ];
  if (m.trainingData.length) lines.push(`    training data: ${m.trainingData.join('; ')}`);
  if (m.devUmrMp) {
    lines.push(`    dev UMR-MP: ACC ${m.devUmrMp.acc.toFixed(4)}, FNMR at FMR 1% ${m.devUmrMp.fnmrAtFmr1.toFixed(4)}`);
  }
  if (m.problem) lines.push(`    cannot be loaded: ${m.problem}`);
  return lines.join('\n');
}

export const modelsCommand: Command = {
  name: 'models',
  summary: 'List the embedding models installed under models/ with their teachers, training data and licence',
  usage: USAGE,
  async run(args, io) {
    const { values } = parseOptions(args, { ...CONFIG_OPTION, json: { type: 'boolean' } });
    const { config } = loadConfigFile(values.config ?? null);
    const models = await listModels(join(PACKAGE_ROOT, 'models'), config.model.embedder);
    if (values.json) {
      io.stdout.write(`${JSON.stringify(models, null, 2)}\n`);
      return 0;
    }
    io.stdout.write(`${models.map((m) => render(m, PACKAGE_ROOT)).join('\n')}\n`);
    io.stdout.write('\n* = selected by model.embedder in the config\n');
    return 0;
  },
};
