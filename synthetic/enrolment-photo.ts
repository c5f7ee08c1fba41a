// A tight square JPEG around one face of a photo, as an enrolment photo would be: used where
// the demo and the benchmark enrol faces found in group photos.
import sharp from 'sharp';
import type { FaceDetection, RgbImage } from '../pipeline/types.js';

export async function enrolmentPhoto(photo: RgbImage, detection: FaceDetection): Promise<Buffer> {
  const { box } = detection;
  const side = Math.round(Math.max(box.width, box.height) * 1.6);
  const left = Math.max(0, Math.round(box.x + box.width / 2 - side / 2));
  const top = Math.max(0, Math.round(box.y + box.height / 2 - side / 2));
  const width = Math.min(side, photo.width - left);
  const height = Math.min(side, photo.height - top);
  return sharp(Buffer.from(photo.data.buffer, photo.data.byteOffset, photo.data.byteLength), {
    raw: { width: photo.width, height: photo.height, channels: 3 },
  })
    .extract({ left, top, width, height })
    .jpeg({ quality: 92 })
    .toBuffer();
}
