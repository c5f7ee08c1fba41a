// A face crop as a small JPEG data URL, for the console's Live page only (docs/console.md,
// "Face thumbnails"). The caller decides where it may go: it is biometric data.
import sharp from 'sharp';
import type { RgbImage } from './types.js';

/** Edge of the square thumbnail, in pixels: enough to tell who stood at the door, no more. */
export const THUMBNAIL_SIZE = 96;
/** JPEG quality: a recognisable face in about 1.5 KB (measured on the test clip's face). */
const JPEG_QUALITY = 70;

/** `image` scaled to THUMBNAIL_SIZE square, as a `data:image/jpeg;base64,…` URL. */
export async function faceThumbnail(image: RgbImage): Promise<string> {
  const jpeg = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'cover' })
    .jpeg({ quality: JPEG_QUALITY })
    .toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}
