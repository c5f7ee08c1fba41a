// A tight square JPEG around one face of a photo, as an enrolment photo would be: used where
// the demo and the benchmark enrol faces found in group photos (and `maskgate calibrate` cuts
// its stranger portraits out of the demo photos with the same square).
import sharp from 'sharp';
import type { Box, FaceDetection, RgbImage } from '../pipeline/types.js';

export interface PortraitRegion {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** A square 1.6 times the face box's longer side, centred on the face, clipped to the photo. */
export function portraitRegion(photo: { readonly width: number; readonly height: number }, box: Box): PortraitRegion {
  const side = Math.round(Math.max(box.width, box.height) * 1.6);
  const left = Math.max(0, Math.round(box.x + box.width / 2 - side / 2));
  const top = Math.max(0, Math.round(box.y + box.height / 2 - side / 2));
  return { left, top, width: Math.min(side, photo.width - left), height: Math.min(side, photo.height - top) };
}

export async function enrolmentPhoto(photo: RgbImage, detection: FaceDetection): Promise<Buffer> {
  return sharp(Buffer.from(photo.data.buffer, photo.data.byteOffset, photo.data.byteLength), {
    raw: { width: photo.width, height: photo.height, channels: 3 },
  })
    .extract(portraitRegion(photo, detection.box))
    .jpeg({ quality: 92 })
    .toBuffer();
}
