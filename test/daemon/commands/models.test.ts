// `maskgate models`: every installed embedding model with its card facts, and the config's choice.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeModel, listModels } from '../../../daemon/commands/models.js';
import { main } from '../../../daemon/main.js';
import { runWithIo } from '../../helpers/command-io.js';

const REPO = resolve(__dirname, '../../..');
const G2D = join(REPO, 'models/g2d/g2d.json');

function modelsDir(sidecars: Record<string, unknown>): string {
  const root = mkdtempSync(join(tmpdir(), 'mg-models-'));
  for (const [name, sidecar] of Object.entries(sidecars)) {
    mkdirSync(join(root, name));
    writeFileSync(join(root, name, `${name}.onnx`), 'not read by the listing');
    if (sidecar !== undefined) writeFileSync(join(root, name, `${name}.json`), typeof sidecar === 'string' ? sidecar : JSON.stringify(sidecar));
  }
  return root;
}

const shipped = (): Record<string, unknown> => JSON.parse(readFileSync(G2D, 'utf8')) as Record<string, unknown>;

describe('describeModel', () => {
  it('reads teachers, training data, commercial use and dev figures from the card', () => {
    const sidecar = shipped();
    sidecar['provenance'] = {
      card: {
        teachers: [{ name: 'edgeface_xs', licence: 'CC BY-NC-SA 4.0', commercialUse: false }],
        trainingData: ['LFW dev split (research use)', 'CASIA-FaceV5 subset (non-commercial)'],
        commercialUse: false,
        devUmrMp: { acc: 0.99, fnmrAtFmr1: 0.02 },
      },
    };
    const m = describeModel('/m/x.onnx', sidecar, true);
    expect(m).toMatchObject({ teachers: ['edgeface_xs'], commercialUse: false, selected: true, problem: null });
    expect(m.trainingData).toHaveLength(2);
    expect(m.devUmrMp).toEqual({ acc: 0.99, fnmrAtFmr1: 0.02 });
  });

  it('says "not stated" rather than guessing when a sidecar has no card', () => {
    const m = describeModel('/m/fr.onnx', JSON.parse(readFileSync(join(REPO, 'models/fr_feature/fr_feature.json'), 'utf8')), false);
    expect(m).toMatchObject({ teachers: [], commercialUse: null, devUmrMp: null, problem: null });
    expect(m.licence).toMatch(/MIT/);
  });

  it('tells a PAD model and the mask classifier from an embedder by their sidecars, and checks each against its own schema', () => {
    const padnet = JSON.parse(readFileSync(join(REPO, 'models/padnet/padnet.json'), 'utf8')) as Record<string, unknown>;
    const pad = describeModel('/m/padnet.onnx', padnet, true);
    expect(pad).toMatchObject({ role: 'pad', problem: null, commercialUse: false });
    expect(pad.trainingData.join(' ')).toMatch(/CASIA/);
    const mask = describeModel('/m/maskflag.onnx', JSON.parse(readFileSync(join(REPO, 'models/maskflag/maskflag.json'), 'utf8')), false);
    expect(mask).toMatchObject({ role: 'mask-classifier', problem: null });
    expect(describeModel('/m/g2d.onnx', shipped(), false).role).toBe('embedder');
    expect(describeModel('/m/bad-pad.onnx', { ...padnet, cropScale: 9 }, false).problem).toMatch(/cropScale/);
  });

  it('lists a model whose sidecar is broken, with the reason, instead of failing', () => {
    expect(describeModel('/m/bad.onnx', { modelId: 'x', surprise: 1 }, false).problem).toMatch(/unknown key surprise/);
    expect(describeModel('/m/bad.onnx', null, false).problem).toMatch(/JSON object/);
  });
});

describe('listModels', () => {
  it('lists the models that have sidecars, skips the rest, and marks the ones in use', async () => {
    const root = modelsDir({ a: shipped(), b: undefined, c: '{not json' });
    const models = await listModels(root, [join(root, 'a', 'a.onnx'), join(root, 'elsewhere.onnx')]);
    expect(models.map((m) => [m.path.slice(root.length), m.selected, m.problem === null])).toEqual([
      ['/a/a.onnx', true, true],
      ['/c/c.onnx', false, false],
    ]);
  });
});

describe('maskgate models', () => {
  it('prints every shipped model with its role and licence, and the ones the default config loads', async () => {
    const { code, stdout } = await runWithIo((io) => main(['models'], io));
    expect(code).toBe(0);
    expect(stdout).toMatch(/\* models\/g2d\/g2d\.onnx .*\[in use\]\n {4}role: face embedding/);
    expect(stdout).toMatch(/\* models\/padnet\/padnet\.onnx .*\[in use\]\n {4}role: presentation-attack detection/);
    expect(stdout).toMatch(/\* models\/padnet\/padnet-tight\.onnx .*\[in use\]/);
    expect(stdout).toMatch(/\* models\/maskflag\/maskflag\.onnx .*\[in use\]\n {4}role: mask flag/);
    expect(stdout).toMatch(/ {2}models\/fr_liveness\/fr_liveness\.onnx .*\n {4}role: presentation-attack detection/);
    expect(stdout).not.toMatch(/cannot be loaded/);
    expect(stdout).toMatch(/models\/fr_feature\/fr_feature\.onnx/);
    expect(stdout).toMatch(/licence: /);
    expect(stdout).not.toMatch(/blazeface/);
  });

  it('--json gives the same listing for tools', async () => {
    const { code, stdout } = await runWithIo((io) => main(['models', '--json'], io));
    expect(code).toBe(0);
    const models = JSON.parse(stdout) as { path: string; role: string; selected: boolean }[];
    expect(models.filter((m) => m.selected && m.role === 'embedder').map((m) => m.path.endsWith('g2d.onnx'))).toEqual([true]);
    expect(models.filter((m) => m.selected && m.role === 'pad')).toHaveLength(2);
  });

  it('refuses an unknown option with the usage (exit 2)', async () => {
    const { code, stderr } = await runWithIo((io) => main(['models', '--colour'], io));
    expect(code).toBe(2);
    expect(stderr).toMatch(/Usage: maskgate models/);
  });
});
