// `maskgate acquisition-set`: writes a seeded development set shaped like real acquisition
// (tight crops, low resolution, heavy JPEG, turned heads; each with and without a synthetic
// mask) from a folder of per-person photos, with one pairs CSV per condition for `maskgate eval`.
// Each person's first photo is the enrolment reference, unchanged; the others become probes.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { formatPairsCsv, type VerificationPair } from '../../field-tools/pairs.js';
import { BlazeFaceDetector } from '../../pipeline/detector.js';
import { readImageFile } from '../../pipeline/image.js';
import { estimateYawDeg } from '../../pipeline/quality.js';
import type { FaceDetection, RgbImage } from '../../pipeline/types.js';
import {
  ACQUISITION_CONDITIONS,
  renderVariant,
  variantRecipe,
  YAW_RANGE_DEG,
  type AcquisitionCondition,
} from '../../synthetic/acquisition-set.js';
import { seededRandom } from '../../synthetic/seeded-random.js';
import { UsageError, type Command } from './command.js';
import { readIdentities } from './make-pairs.js';
import { CONFIG_OPTION, loadConfigAndLogger, parseOptions } from './shared.js';
import { integerOption } from './tool-options.js';

/** Mask fills drawn on masked variants, one per photo in turn: surgical blue, white, black cloth. */
const MASK_COLOURS = ['#9cc7e0', '#f2f2f2', '#303030'] as const;

/** The face the photo is about: nearest the image centre (LFW's convention for its subject). */
function subject(faces: readonly FaceDetection[], image: RgbImage): FaceDetection | undefined {
  const distance = (d: FaceDetection): number =>
    Math.hypot(d.box.x + d.box.width / 2 - image.width / 2, d.box.y + d.box.height / 2 - image.height / 2);
  return [...faces].sort((a, b) => distance(a) - distance(b))[0];
}

/** For each probe, `count` other people drawn without repeats from one seeded stream, sorted. */
function impostorPicker(names: readonly string[], count: number, seed: number): (identity: string) => string[] {
  const random = seededRandom(seed);
  return (identity) => {
    const pool = names.filter((n) => n !== identity);
    const chosen = new Set<string>();
    while (chosen.size < Math.min(count, pool.length)) chosen.add(pool[Math.floor(random() * pool.length)]!);
    return [...chosen].sort();
  };
}

/**
 * The conditions a probe photo goes into, counted per person: turned heads take the photos that
 * are turned, every other condition the person's first `perPerson` photos.
 */
function takeConditions(counts: Map<AcquisitionCondition, number>, turned: boolean, perPerson: number): AcquisitionCondition[] {
  const taken = ACQUISITION_CONDITIONS.filter((c) => (c !== 'yaw' || turned) && (counts.get(c) ?? 0) < perPerson);
  for (const c of taken) counts.set(c, (counts.get(c) ?? 0) + 1);
  return taken;
}

/** One CSV per condition and mask state, all of them together, and every condition per mask state. */
function writePairLists(dir: string, pairs: ReadonlyMap<string, readonly VerificationPair[]>): void {
  mkdirSync(dir, { recursive: true });
  for (const [key, list] of pairs) writeFileSync(join(dir, `${key}.csv`), formatPairsCsv(list));
  writeFileSync(join(dir, 'all.csv'), formatPairsCsv([...pairs.values()].flat()));
  // The sets the quality gate's curves are read from.
  for (const state of ['unmasked', 'masked']) {
    writeFileSync(join(dir, `all-${state}.csv`), formatPairsCsv([...pairs].filter(([key]) => key.endsWith(`-${state}`)).flatMap(([, l]) => l)));
  }
}

interface Probe {
  readonly identity: string;
  readonly file: string;
  readonly index: number;
}

export const acquisitionSetCommand: Command = {
  name: 'acquisition-set',
  summary: 'Write a seeded development set of tight, low-resolution, JPEG and turned faces, masked and not, with pairs CSVs',
  usage:
    'maskgate acquisition-set --root <dir of per-person folders> --out <dir> [--identities <file>] [--probes N] [--impostors N] [--seed S] [--config <file>]',
  async run(args, io) {
    const { values } = parseOptions(args, {
      ...CONFIG_OPTION,
      root: { type: 'string' },
      out: { type: 'string' },
      identities: { type: 'string' },
      probes: { type: 'string' },
      impostors: { type: 'string' },
      seed: { type: 'string' },
    });
    if (!values.root || !values.out) throw new UsageError('give --root <dir> and --out <dir>');
    const probesPerPerson = integerOption('probes', values.probes, 2, 1, 1000);
    const impostorsPerProbe = integerOption('impostors', values.impostors, 8, 0, 1000);
    const seed = integerOption('seed', values.seed, 1, 0, 2 ** 32 - 1);
    const root = resolve(values.root);
    const out = resolve(values.out);
    let people = readIdentities(root).filter((p) => p.images.length >= 2);
    if (values.identities) {
      const wanted = new Set(readFileSync(resolve(values.identities), 'utf8').split(/\r?\n/).map((l) => l.trim()).filter(Boolean));
      people = people.filter((p) => wanted.has(p.name));
    }
    if (people.length < 2) throw new UsageError(`need at least two people with two or more photos under ${root}`);

    const { config, logger } = loadConfigAndLogger(values.config, 'warn');
    const detector = await BlazeFaceDetector.create({ modelPath: config.model.detector, intraOpThreads: config.model.intraOpThreads, logger });
    const manifest: string[] = ['path,identity,condition,masked,reference_yaw_deg,face_fraction,output_size,low_res_size,jpeg_quality'];
    const pairs = new Map<string, VerificationPair[]>();
    const addPair = (key: string, pair: VerificationPair): void => {
      pairs.set(key, [...(pairs.get(key) ?? []), pair]);
    };
    const skipped: string[] = [];
    try {
      mkdirSync(join(out, 'reference'), { recursive: true });
      const references = new Map<string, string>();
      for (const person of people) {
        const first = person.images[0]!;
        const ref = `reference/${person.name}${extname(first)}`;
        copyFileSync(join(root, first), join(out, ref));
        references.set(person.name, ref);
      }
      const others = impostorPicker(people.map((p) => p.name), impostorsPerProbe, seed);
      let photoIndex = 0;
      const probes: Probe[] = [];
      for (const person of people) {
        for (const file of person.images.slice(1)) probes.push({ identity: person.name, file, index: photoIndex++ });
      }
      const perPerson = new Map<string, Map<AcquisitionCondition, number>>();
      let done = 0;
      for (const probe of probes) {
        const photo = await readImageFile(join(root, probe.file));
        const face = subject(await detector.detectWithPadding(photo), photo);
        if (!face) {
          skipped.push(probe.file);
          continue;
        }
        const yaw = estimateYawDeg(face);
        const turned = Math.abs(yaw) >= YAW_RANGE_DEG.min && Math.abs(yaw) <= YAW_RANGE_DEG.max;
        const counts = perPerson.get(probe.identity) ?? new Map<AcquisitionCondition, number>();
        perPerson.set(probe.identity, counts);
        const impostors = others(probe.identity);
        for (const condition of takeConditions(counts, turned, probesPerPerson)) {
          const recipe = variantRecipe(condition, seed, probe.index);
          for (const masked of [false, true]) {
            const dir = `${condition}/${masked ? 'masked' : 'unmasked'}`;
            const path = `${dir}/${basename(probe.file, extname(probe.file))}.jpg`;
            mkdirSync(join(out, dir), { recursive: true });
            const colour = masked ? MASK_COLOURS[probe.index % MASK_COLOURS.length]! : null;
            writeFileSync(join(out, path), await renderVariant(photo, face, recipe, colour));
            manifest.push(
              [path, probe.identity, condition, masked ? 1 : 0, yaw.toFixed(1), recipe.faceFraction.toFixed(3), recipe.outputSize, recipe.lowResSize ?? '', recipe.jpegQuality].join(','),
            );
            const key = `${condition}-${masked ? 'masked' : 'unmasked'}`;
            addPair(key, { img1: references.get(probe.identity)!, img2: path, label: 1 });
            for (const other of impostors) addPair(key, { img1: references.get(other)!, img2: path, label: 0 });
          }
        }
        if (++done % 100 === 0) io.stderr.write(`acquisition-set: ${done}/${probes.length} photos\n`);
      }
    } finally {
      await detector.close();
    }
    writeFileSync(join(out, 'manifest.csv'), `${manifest.join('\n')}\n`);
    writePairLists(join(out, 'pairs'), pairs);
    const summary = [...pairs].map(([k, l]) => `${k} ${l.filter((p) => p.label === 1).length}+${l.filter((p) => p.label === 0).length}`).join(', ');
    io.stderr.write(
      `acquisition-set: ${people.length} people (seed ${seed}) -> ${out}; genuine+impostor pairs: ${summary}` +
        (skipped.length ? `; ${skipped.length} photos skipped (no face on the original): ${skipped.slice(0, 5).join(', ')}` : '') +
        '\n',
    );
    logger.info({ out, people: people.length }, 'acquisition set written');
    return 0;
  },
};
