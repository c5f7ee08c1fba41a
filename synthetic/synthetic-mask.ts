// A simple synthetic face mask for the demo and end-to-end tests: a polygon from the nose
// bridge to below the chin, ear to ear, placed from the six BlazeFace keypoints. (The trainer
// has the rich mask synthesiser; this only needs to cover nose and mouth plausibly.)
import sharp from 'sharp';
import type { FaceKeypoints, Point, RgbImage } from '../pipeline/types.js';

const add = (a: Point, b: Point, s = 1): Point => ({ x: a.x + b.x * s, y: a.y + b.y * s });

export function maskPolygon(keypoints: FaceKeypoints): Point[] {
  const [rightEye, leftEye, , mouth] = keypoints;
  const eyeMid = { x: (rightEye.x + leftEye.x) / 2, y: (rightEye.y + leftEye.y) / 2 };
  const across = { x: leftEye.x - rightEye.x, y: leftEye.y - rightEye.y };
  const eyeDistance = Math.hypot(across.x, across.y);
  const side = { x: across.x / eyeDistance, y: across.y / eyeDistance };
  const downLength = Math.hypot(mouth.x - eyeMid.x, mouth.y - eyeMid.y);
  const down = { x: (mouth.x - eyeMid.x) / downLength, y: (mouth.y - eyeMid.y) / downLength };
  const at = (alongDown: number, alongSide: number): Point =>
    add(add(eyeMid, down, alongDown * downLength), side, alongSide * eyeDistance);
  return [
    at(0.45, -0.3),
    at(0.45, 0.3),
    at(0.55, 0.95),
    at(1.35, 0.85),
    at(1.8, 0.35),
    at(1.85, 0),
    at(1.8, -0.35),
    at(1.35, -0.85),
    at(0.55, -0.95),
  ];
}

/** Returns a copy of `image` with a flat-coloured mask drawn over nose and mouth. */
export async function drawMask(image: RgbImage, keypoints: FaceKeypoints, colour = '#9cc7e0'): Promise<RgbImage> {
  const points = maskPolygon(keypoints)
    .map((p) => `${p.x.toFixed(1)},${p.y.toFixed(1)}`)
    .join(' ');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${image.width}" height="${image.height}">
  <polygon points="${points}" fill="${colour}" stroke="#5a7d91" stroke-width="${Math.max(1, image.width / 200).toFixed(1)}"/></svg>`;
  const { data, info } = await sharp(Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength), {
    raw: { width: image.width, height: image.height, channels: 3 },
  })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}
