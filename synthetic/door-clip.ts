// Renders a door-camera clip from still photos: each "visit" is one face walking slowly across
// the frame for a few seconds, optionally masked, separated by empty frames so that every visit
// is its own track. Used by the demo and by the end-to-end tests.
import { spawn } from 'node:child_process';
import sharp from 'sharp';
import type { FaceDetection, RgbImage } from '../pipeline/types.js';
import { drawMask } from './synthetic-mask.js';

export interface Visit {
  /** The photo the face comes from. */
  readonly photo: RgbImage;
  /** The face in that photo (keypoints place the mask). */
  readonly detection: FaceDetection;
  readonly masked: boolean;
  readonly maskColour?: string;
}

export interface ClipOptions {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly secondsPerVisit: number;
  readonly gapSeconds: number;
  /** Side of the square face crop in the clip, in pixels. */
  readonly faceCropSize: number;
}

const DEFAULT_MASK_COLOUR = '#9cc7e0';

export const DEFAULT_CLIP_OPTIONS: ClipOptions = {
  width: 640,
  height: 480,
  fps: 10,
  secondsPerVisit: 2.5,
  gapSeconds: 1,
  faceCropSize: 260,
};

/**
 * A square crop around the face, `boxScale` times the detector box, grey where it leaves the
 * photo, resized to `size`; masked in `maskColour` unless that is null.
 */
export async function cropAroundFace(
  photo: RgbImage,
  detection: FaceDetection,
  size: number,
  maskColour: string | null,
  boxScale = 2.4,
): Promise<RgbImage> {
  const source = maskColour === null ? photo : await drawMask(photo, detection.keypoints, maskColour);
  const { box } = detection;
  const side = Math.round(Math.max(box.width, box.height) * boxScale);
  const left = Math.round(box.x + box.width / 2 - side / 2);
  const top = Math.round(box.y + box.height / 2 - side / 2);
  const raw = { raw: { width: source.width, height: source.height, channels: 3 as const } };
  // sharp applies extract before extend within one pipeline, so pad first, then cut.
  const padded = await sharp(Buffer.from(source.data.buffer, source.data.byteOffset, source.data.byteLength), raw)
    .extend({ top: side, bottom: side, left: side, right: side, background: { r: 128, g: 128, b: 128 } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { data } = await sharp(padded.data, { raw: { width: padded.info.width, height: padded.info.height, channels: 3 } })
    .extract({ left: left + side, top: top + side, width: side, height: side })
    .resize(size, size)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: size, height: size, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

function blit(frame: Uint8Array, frameWidth: number, frameHeight: number, crop: RgbImage, left: number, top: number): void {
  for (let y = 0; y < crop.height; y++) {
    const fy = top + y;
    if (fy < 0 || fy >= frameHeight) continue;
    const x0 = Math.max(0, left);
    const x1 = Math.min(frameWidth, left + crop.width);
    if (x1 <= x0) continue;
    const src = (y * crop.width + (x0 - left)) * 3;
    frame.set(crop.data.subarray(src, src + (x1 - x0) * 3), (fy * frameWidth + x0) * 3);
  }
}

/** Yields the clip's frames as packed RGB buffers. */
export async function* renderFrames(visits: readonly Visit[], options: ClipOptions = DEFAULT_CLIP_OPTIONS): AsyncGenerator<Uint8Array> {
  const { width, height, fps, secondsPerVisit, gapSeconds, faceCropSize } = options;
  const background = new Uint8Array(width * height * 3);
  for (let i = 0; i < background.length; i += 3) {
    const row = Math.floor(i / 3 / width);
    background[i] = 70 + (row >> 3);
    background[i + 1] = 80 + (row >> 3);
    background[i + 2] = 90;
  }
  const gapFrames = Math.round(gapSeconds * fps);
  const visitFrames = Math.round(secondsPerVisit * fps);
  for (const visit of visits) {
    for (let i = 0; i < gapFrames; i++) yield background.slice();
    const crop = await cropAroundFace(visit.photo, visit.detection, Math.min(faceCropSize, height), visit.masked ? (visit.maskColour ?? DEFAULT_MASK_COLOUR) : null);
    const travel = Math.max(0, width - crop.width) * 0.3;
    for (let i = 0; i < visitFrames; i++) {
      const t = visitFrames > 1 ? i / (visitFrames - 1) : 0;
      const frame = background.slice();
      const left = Math.round((width - crop.width) / 2 - travel / 2 + travel * t);
      const top = Math.round((height - crop.height) / 2 + 6 * Math.sin(t * Math.PI * 2));
      blit(frame, width, height, crop, left, top);
      yield frame;
    }
  }
  for (let i = 0; i < gapFrames * 2; i++) yield background.slice();
}

/** Encodes the clip to an H.264 MP4 with ffmpeg. */
export async function writeClip(path: string, visits: readonly Visit[], options: ClipOptions = DEFAULT_CLIP_OPTIONS, ffmpegPath = 'ffmpeg'): Promise<void> {
  const ffmpeg = spawn(
    ffmpegPath,
    ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${options.width}x${options.height}`,
      '-r', String(options.fps), '-i', '-', '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '18', '-pix_fmt', 'yuv420p', path],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  ffmpeg.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    ffmpeg.once('error', reject);
    ffmpeg.once('close', resolve);
  });
  for await (const frame of renderFrames(visits, options)) {
    if (!ffmpeg.stdin.write(frame)) await new Promise((r) => ffmpeg.stdin.once('drain', r));
  }
  ffmpeg.stdin.end();
  const code = await exited;
  if (code !== 0) throw new Error(`ffmpeg could not encode the clip ${path}: ${stderr.trim().split('\n').slice(-3).join(' ')}`);
}
