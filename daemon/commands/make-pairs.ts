// `maskgate pairs`: builds a verification pairs CSV for `maskgate eval` from a folder with one
// sub-folder per person (<root>/<person>/<photo>), with a seed so that the list can be rebuilt.
import { readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { formatPairsCsv, samplePairs, type Identity } from '../../field-tools/pairs.js';
import { isImageFileName } from '../../pipeline/image.js';
import { CommandError, UsageError, type Command } from './command.js';
import { parseOptions } from './shared.js';
import { integerOption } from './tool-options.js';

/** One identity per sub-folder of `root`, image paths relative to `root`, sorted. */
export function readIdentities(root: string): Identity[] {
  let entries;
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch (err) {
    throw new CommandError('root_unreadable', `cannot read ${root}: ${(err as Error).message}`);
  }
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort()
    .map((name) => ({
      name,
      images: readdirSync(join(root, name), { withFileTypes: true })
        .filter((f) => f.isFile() && isImageFileName(f.name))
        .map((f) => `${name}/${f.name}`)
        .sort(),
    }))
    .filter((i) => i.images.length > 0);
}

export const pairsCommand: Command = {
  name: 'pairs',
  summary: 'Build a pairs CSV (img1,img2,label) for `maskgate eval` from a folder of per-person sub-folders',
  usage: 'maskgate pairs --root <dir> [--out <pairs.csv>] [--genuine N] [--impostor N] [--seed S]   (CSV on stdout without --out)',
  async run(args, io) {
    const { values } = parseOptions(args, {
      root: { type: 'string' },
      out: { type: 'string' },
      genuine: { type: 'string' },
      impostor: { type: 'string' },
      seed: { type: 'string' },
    });
    if (!values.root) throw new UsageError('give --root <dir> (one sub-folder of photos per person)');
    const genuine = integerOption('genuine', values.genuine, 300, 0, 1_000_000);
    const impostor = integerOption('impostor', values.impostor, 300, 0, 1_000_000);
    const seed = integerOption('seed', values.seed, 1, 0, 2 ** 32 - 1);
    const root = resolve(values.root);
    const identities = readIdentities(root);
    const pairs = samplePairs(identities, { genuine, impostor, seed });
    const made = { genuine: pairs.filter((p) => p.label === 1).length, impostor: pairs.filter((p) => p.label === 0).length };
    const csv = formatPairsCsv(pairs);
    if (values.out) {
      writeFileSync(resolve(values.out), csv);
      io.stderr.write(
        `pairs: ${made.genuine} genuine and ${made.impostor} impostor pairs from ${identities.length} people in ${root} (seed ${seed}) -> ${resolve(values.out)}\n`,
      );
    } else io.stdout.write(csv);
    if (made.genuine < genuine || made.impostor < impostor) {
      io.stderr.write(`pairs: fewer distinct pairs exist than asked for (${made.genuine}/${genuine} genuine, ${made.impostor}/${impostor} impostor)\n`);
    }
    return 0;
  },
};
