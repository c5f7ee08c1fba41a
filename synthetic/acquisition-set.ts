// Development faces shaped like what the appliance really receives — HR/badge exports cropped
// tight to the face, low-resolution photos blown up, heavy JPEG, heads turned — each with and
// without a synthetic mask, made from ordinary photos of held-out people. Seeded: the same
// photos and seed give the same set. The sets are written to disk by `maskgate acquisition-set`
// and never committed.
import sharp from 'sharp';
import type { Box, FaceKeypoints, RgbImage } from '../pipeline/types.js';
import { seededRandom } from './seeded-random.js';
import { drawMask } from './synthetic-mask.js';

/**
 * tight    face box 80–100% of a square crop of 112–200 px (HR exports, someone leaning in);
 * lowres   face 50–80% of the crop, shrunk to 40–64 px and blown back up to 112–160 px;
 * jpeg     face 50–80% of a 112–200 px crop, JPEG quality 30–50;
 * yaw      photos whose subject is naturally turned 15–35° (by the keypoint yaw estimate), face
 *          60–90% of a 160 px crop — real parallax and self-occlusion, which a warp of a frontal
 *          photo cannot give;
 * combined tight + lowres (48–80 px) + JPEG 30–50, the worst realistic case.
 */
export const ACQUISITION_CONDITIONS = ['tight', 'lowres', 'jpeg', 'yaw', 'combined'] as const;
export type AcquisitionCondition = (typeof ACQUISITION_CONDITIONS)[number];

/** Natural yaw range, in degrees of the keypoint estimate, of photos used for `yaw`. */
export const YAW_RANGE_DEG = { min: 15, max: 35 } as const;

/** How one probe photo is turned into a condition's image; every random draw is made up front. */
export interface VariantRecipe {
  readonly condition: AcquisitionCondition;
  /** Face box side over crop side. */
  readonly faceFraction: number;
  /** Crop centre offset from the face box centre, as a fraction of the crop side. */
  readonly shiftX: number;
  readonly shiftY: number;
  /** Side of the written image, px. */
  readonly outputSize: number;
  /** Side the crop is shrunk to before being blown up to outputSize; null: not shrunk. */
  readonly lowResSize: number | null;
  readonly jpegQuality: number;
}

const uniform = (random: () => number, lo: number, hi: number): number => lo + (hi - lo) * random();
const uniformInt = (random: () => number, lo: number, hi: number): number => Math.floor(uniform(random, lo, hi + 1));

/** The recipe of `condition` for the photo with index `photoIndex` under `seed`. */
export function variantRecipe(condition: AcquisitionCondition, seed: number, photoIndex: number): VariantRecipe {
  // One stream per (seed, photo, condition): adding photos or conditions does not reshuffle others.
  const random = seededRandom((seed * 1_000_003 + photoIndex * 17 + ACQUISITION_CONDITIONS.indexOf(condition)) >>> 0);
  const shift = (): number => uniform(random, -0.04, 0.04);
  switch (condition) {
    case 'tight':
      return { condition, faceFraction: uniform(random, 0.8, 1), shiftX: shift(), shiftY: shift(), outputSize: uniformInt(random, 112, 200), lowResSize: null, jpegQuality: 90 };
    case 'lowres':
      return { condition, faceFraction: uniform(random, 0.5, 0.8), shiftX: shift(), shiftY: shift(), outputSize: uniformInt(random, 112, 160), lowResSize: uniformInt(random, 40, 64), jpegQuality: 90 };
    case 'jpeg':
      return { condition, faceFraction: uniform(random, 0.5, 0.8), shiftX: shift(), shiftY: shift(), outputSize: uniformInt(random, 112, 200), lowResSize: null, jpegQuality: uniformInt(random, 30, 50) };
    case 'yaw':
      return { condition, faceFraction: uniform(random, 0.6, 0.9), shiftX: shift(), shiftY: shift(), outputSize: 160, lowResSize: null, jpegQuality: 90 };
    case 'combined':
      return { condition, faceFraction: uniform(random, 0.8, 1), shiftX: shift(), shiftY: shift(), outputSize: uniformInt(random, 112, 200), lowResSize: uniformInt(random, 48, 80), jpegQuality: uniformInt(random, 30, 50) };
  }
}

/** The square crop (source pixels, may extend past the image) that a recipe takes around `face`. */
export function cropRect(face: Box, recipe: VariantRecipe): { left: number; top: number; side: number } {
  const side = Math.max(face.width, face.height) / recipe.faceFraction;
  const cx = face.x + face.width / 2 + recipe.shiftX * side;
  const cy = face.y + face.height / 2 + recipe.shiftY * side;
  return { left: Math.round(cx - side / 2), top: Math.round(cy - side / 2), side: Math.max(1, Math.round(side)) };
}

/**
 * Renders one variant as a JPEG: optional mask (drawn on the full photo from its reference
 * keypoints, so that the masked and unmasked variants are the same crop), crop (black where it
 * leaves the photo, as an export tool pads), resize, optional shrink-and-enlarge, JPEG.
 */
export async function renderVariant(
  photo: RgbImage,
  reference: { readonly box: Box; readonly keypoints: FaceKeypoints },
  recipe: VariantRecipe,
  maskColour: string | null,
): Promise<Buffer> {
  const source = maskColour ? await drawMask(photo, reference.keypoints, maskColour) : photo;
  const { left, top, side } = cropRect(reference.box, recipe);
  // Pad with black so that the crop may leave the photo, then cut it out.
  const pad = {
    left: Math.max(0, -left),
    top: Math.max(0, -top),
    right: Math.max(0, left + side - photo.width),
    bottom: Math.max(0, top + side - photo.height),
  };
  const raw = { width: photo.width, height: photo.height, channels: 3 as const };
  // Two pipelines: within one, sharp extracts before it extends.
  const padded = await sharp(Buffer.from(source.data.buffer, source.data.byteOffset, source.data.byteLength), { raw })
    .extend({ ...pad, background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const cropped = await sharp(padded.data, { raw: { width: padded.info.width, height: padded.info.height, channels: 3 } })
    .extract({ left: left + pad.left, top: top + pad.top, width: side, height: side })
    .raw()
    .toBuffer();
  let image = sharp(cropped, { raw: { width: side, height: side, channels: 3 } });
  if (recipe.lowResSize !== null) {
    const small = await image.resize(recipe.lowResSize, recipe.lowResSize).raw().toBuffer();
    // Blown up bilinearly, as a cheap camera or an HR system's thumbnail upscaler does.
    image = sharp(small, { raw: { width: recipe.lowResSize, height: recipe.lowResSize, channels: 3 } }).resize(recipe.outputSize, recipe.outputSize, {
      kernel: 'linear',
    });
  } else image = image.resize(recipe.outputSize, recipe.outputSize);
  return image.jpeg({ quality: recipe.jpegQuality, chromaSubsampling: '4:2:0' }).toBuffer();
}
