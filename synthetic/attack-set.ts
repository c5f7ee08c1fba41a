// Builds a seeded presentation-attack evaluation set from a face folder (`<root>/<identity>/*.jpg`,
// the LFW layout): bona fide frames, unmasked and with synthetic masks, and attacks of every
// type, written as JPEGs with a list `list.csv` (path,label,attack_type) that `maskgate eval-pad`
// reads. Only identities in the PAD held-out slice are used, so nothing trained on the other
// identities (the mask classifier, a fine-tuned PAD model) has seen these faces.
import { createHash } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import type { FaceDetector } from '../pipeline/face-analyzer.js';
import { readImageFile } from '../pipeline/image.js';
import type { RgbImage } from '../pipeline/types.js';
import { ATTACK_TYPES, renderAttack, renderBonaFide, type SourceFace } from './attack-scene.js';
import { seededRandom } from './seeded-random.js';

/** Mask colours of bona fide masked faces: surgical blue, white, black, denim. */
const MASK_COLOURS = ['#9cc7e0', '#f2f2f2', '#2b2b2b', '#6f8fb3', '#c9d8c5'];

/**
 * The PAD held-out slice: identities whose name's SHA-1 starts with a byte divisible by 8
 * (about one in eight). Python: `hashlib.sha1(name.encode()).digest()[0] % 8 == 0`.
 */
export function isPadHeldOut(identity: string): boolean {
  return createHash('sha1').update(identity).digest()[0]! % 8 === 0;
}

export type AttackSetSplit = 'heldout' | 'train';

export interface AttackSetOptions {
  readonly root: string;
  readonly out: string;
  readonly seed: number;
  /** Images per class: bona fide unmasked, bona fide masked, and each attack type. */
  readonly perClass: number;
  /** heldout: the evaluation identities; train: all the others (for fitting a PAD head). */
  readonly split: AttackSetSplit;
  readonly detector: FaceDetector;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface AttackSetRow {
  readonly path: string;
  readonly label: 'bona_fide' | 'attack';
  /** The attack type, or for bona fide rows the condition: masked or unmasked. */
  readonly kind: string;
}

async function listPhotos(root: string, split: AttackSetSplit): Promise<string[]> {
  const identities = (await readdir(root, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && isPadHeldOut(d.name) === (split === 'heldout'))
    .map((d) => d.name)
    .sort();
  const photos: string[] = [];
  for (const identity of identities) {
    const files = (await readdir(join(root, identity))).filter((f) => /\.(jpe?g|png)$/i.test(f)).sort();
    photos.push(...files.map((f) => join(root, identity, f)));
  }
  return photos;
}

/**
 * The photo's central part, where the face is. LFW's funnelled photos have rotated black borders
 * that would look like a screen bezel on every bona fide frame; they are cut away everywhere.
 */
const SOURCE_KEEP = 0.72;

async function sourceFace(path: string, detector: FaceDetector): Promise<SourceFace | null> {
  const full = await readImageFile(path);
  const left = Math.round((full.width * (1 - SOURCE_KEEP)) / 2);
  const top = Math.round((full.height * (1 - SOURCE_KEEP)) / 2);
  const width = Math.round(full.width * SOURCE_KEEP);
  const height = Math.round(full.height * SOURCE_KEEP);
  const { data } = await sharp(Buffer.from(full.data.buffer, full.data.byteOffset, full.data.byteLength), {
    raw: { width: full.width, height: full.height, channels: 3 },
  })
    .extract({ left, top, width, height })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const photo: RgbImage = { width, height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  const [detection] = await detector.detectWithPadding(photo);
  return detection ? { photo, detection } : null;
}

async function writeJpeg(path: string, image: RgbImage, quality: number): Promise<void> {
  const buffer = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  await writeFile(path, await sharp(buffer, { raw: { width: image.width, height: image.height, channels: 3 } }).jpeg({ quality }).toBuffer());
}

export async function buildAttackSet(opts: AttackSetOptions): Promise<AttackSetRow[]> {
  const random = seededRandom(opts.seed);
  const photos = await listPhotos(opts.root, opts.split);
  if (photos.length < 2) throw new Error(`Found ${photos.length} photos of PAD held-out identities under ${opts.root}; need at least 2`);
  const pick = () => photos[Math.floor(random() * photos.length)]!;
  const kinds: { label: AttackSetRow['label']; kind: string }[] = [
    { label: 'bona_fide', kind: 'unmasked' },
    { label: 'bona_fide', kind: 'masked' },
    ...ATTACK_TYPES.map((kind) => ({ label: 'attack' as const, kind })),
  ];
  await mkdir(opts.out, { recursive: true });
  const rows: AttackSetRow[] = [];
  const total = kinds.length * opts.perClass;
  let misses = 0;
  for (const { label, kind } of kinds) {
    await mkdir(join(opts.out, kind), { recursive: true });
    for (let i = 0; i < opts.perClass; i++) {
      const face = await sourceFace(pick(), opts.detector);
      const scene = await sourceFace(pick(), opts.detector);
      if (!face || !scene) {
        // A photo the detector misses is no sample; draw another, but not for ever.
        if (++misses > opts.perClass * kinds.length) throw new Error(`The detector misses most photos under ${opts.root}`);
        i--;
        continue;
      }
      const image =
        label === 'bona_fide'
          ? await renderBonaFide(face, random, kind === 'masked' ? MASK_COLOURS[Math.floor(random() * MASK_COLOURS.length)]! : null)
          : await renderAttack(kind as (typeof ATTACK_TYPES)[number], face, scene, random);
      const name = `${kind}/${String(i).padStart(4, '0')}.jpg`;
      await writeJpeg(join(opts.out, name), image, 70 + Math.floor(random() * 25));
      rows.push({ path: name, label, kind });
      opts.onProgress?.(rows.length, total);
    }
  }
  await writeFile(join(opts.out, 'list.csv'), rows.map((r) => `${r.path},${r.label},${r.kind}\n`).join(''));
  return rows;
}
