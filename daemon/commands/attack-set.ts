// `maskgate attack-set`: renders the seeded presentation-attack evaluation set (bona fide unmasked
// and masked, print, replay, cut-out, photo under a mask) from the PAD held-out identities of a
// face folder, with list.csv for `maskgate eval-pad`.
import { resolve } from 'node:path';
import { buildAttackSet } from '../../synthetic/attack-set.js';
import { UsageError, type Command } from './command.js';
import { CONFIG_OPTION, loadConfigAndLogger, parseOptions } from './shared.js';
import { integerOption } from './tool-options.js';
import { BlazeFaceDetector } from '../../pipeline/detector.js';

export const attackSetCommand: Command = {
  name: 'attack-set',
  summary: 'Render a seeded presentation-attack evaluation set (images + list.csv for eval-pad) from a face folder',
  usage: 'maskgate attack-set --root <dir of per-person folders> --out <dir> [--split heldout|train] [--per-class N] [--seed S] [--config <file>]',
  async run(args, io) {
    const { values } = parseOptions(args, { ...CONFIG_OPTION, root: { type: 'string' }, out: { type: 'string' }, 'per-class': { type: 'string' }, seed: { type: 'string' }, split: { type: 'string' } });
    if (!values.root || !values.out) throw new UsageError('give --root <dir> and --out <dir>');
    const perClass = integerOption('per-class', values['per-class'], 100, 1, 100_000);
    const seed = integerOption('seed', values.seed, 1, 0, 2 ** 32 - 1);
    const split = values.split ?? 'heldout';
    if (split !== 'heldout' && split !== 'train') throw new UsageError('--split must be heldout or train');
    const loaded = loadConfigAndLogger(values.config, 'warn');
    const detector = await BlazeFaceDetector.create({ modelPath: loaded.config.model.detector, scoreThreshold: loaded.config.model.detectionScoreThreshold });
    try {
      const rows = await buildAttackSet({
        root: resolve(values.root),
        out: resolve(values.out),
        seed,
        perClass,
        split,
        detector,
        onProgress: (done, total) => {
          if (done % 50 === 0 || done === total) io.stderr.write(`attack-set: ${done}/${total}\n`);
        },
      });
      io.stderr.write(`attack-set: ${rows.length} images and list.csv in ${resolve(values.out)} (seed ${seed})\n`);
      return 0;
    } finally {
      await detector.close();
    }
  },
};
