// Door-camera frames of a bona fide face and of presentation attacks made from the same kind of
// photo, so that a PAD model is scored on what differs (the instrument), not on the source photo.
// A bona fide frame is the photo itself, slightly re-framed, seen by the same "camera" (defocus,
// noise, JPEG) as the attacks. An attack renders the photo as an instrument (print, screen,
// cut-out, cut-out worn under a real mask) and places it as a tilted, bent plane in a scene.
// Limits: the "bona fide" photos are news photos (already once-captured images), the scene
// backgrounds are other photos blurred, and nothing here is a real recapture; see docs/pad.md.
import { applyHomography, fitHomography, invertHomography, type Homography } from '../pipeline/homography.js';
import type { FaceDetection, FaceKeypoints, Point, RgbImage } from '../pipeline/types.js';
import {
  between,
  cameraNoise,
  fingers,
  halftone,
  moire,
  paperTexture,
  screenTone,
  specular,
  toFloat,
  toRgb,
  withMargin,
  type FloatImage,
  type Random,
} from './attack-artefacts.js';
import { drawMask } from './synthetic-mask.js';

export const ATTACK_TYPES = ['print', 'replay', 'cutout', 'photo_mask'] as const;
export type AttackType = (typeof ATTACK_TYPES)[number];

export const FRAME_SIZE = 360;

export interface SourceFace {
  readonly photo: RgbImage;
  readonly detection: FaceDetection;
}

/**
 * Samples `src` through `frameToSrc` into `frame` where `inside(u, v)` (source pixel coordinates)
 * says the instrument is; returns the coverage of each frame pixel (0 or 1).
 */
function warpInto(
  frame: FloatImage,
  src: FloatImage,
  frameToSrc: Homography,
  inside: (u: number, v: number) => boolean,
  shade: (u: number, v: number) => number = () => 1,
): Float32Array {
  const coverage = new Float32Array(frame.width * frame.height);
  for (let y = 0; y < frame.height; y++) {
    for (let x = 0; x < frame.width; x++) {
      const s = applyHomography(frameToSrc, { x: x + 0.5, y: y + 0.5 });
      const u = s.x - 0.5;
      const v = s.y - 0.5;
      if (u < 0 || v < 0 || u > src.width - 1 || v > src.height - 1 || !inside(u, v)) continue;
      const x0 = Math.floor(u);
      const y0 = Math.floor(v);
      const x1 = Math.min(x0 + 1, src.width - 1);
      const y1 = Math.min(y0 + 1, src.height - 1);
      const tx = u - x0;
      const ty = v - y0;
      const k = shade(u, v);
      const p = y * frame.width + x;
      for (let c = 0; c < 3; c++) {
        const at = (i: number, j: number) => src.data[(j * src.width + i) * 3 + c]!;
        const top = at(x0, y0) * (1 - tx) + at(x1, y0) * tx;
        const bottom = at(x0, y1) * (1 - tx) + at(x1, y1) * tx;
        frame.data[p * 3 + c] = (top * (1 - ty) + bottom * ty) * k;
      }
      coverage[p] = 1;
    }
  }
  return coverage;
}

/** The frame quad an instrument of `w` x `h` is held at: centred-ish, scaled, rotated, tilted. */
function heldQuad(w: number, h: number, random: Random, fill: readonly [number, number]): Point[] {
  const size = between(random, fill[0], fill[1]) * FRAME_SIZE;
  const scale = size / Math.max(w, h);
  const cx = FRAME_SIZE / 2 + between(random, -0.08, 0.08) * FRAME_SIZE;
  const cy = FRAME_SIZE / 2 + between(random, -0.08, 0.08) * FRAME_SIZE;
  const angle = (between(random, -12, 12) * Math.PI) / 180;
  const tilt = between(random, 0, 0.12);
  const tiltSide = Math.floor(random() * 4);
  const corners: Point[] = [
    { x: -w / 2, y: -h / 2 },
    { x: w / 2, y: -h / 2 },
    { x: w / 2, y: h / 2 },
    { x: -w / 2, y: h / 2 },
  ];
  return corners.map((c, i) => {
    // Keystone: the two corners of one side come closer together (that side is further away).
    const onSide = [i === tiltSide, (i + 1) % 4 === tiltSide].some(Boolean);
    const k = onSide ? 1 - tilt : 1;
    const x = c.x * scale * k;
    const y = c.y * scale * k;
    return { x: cx + x * Math.cos(angle) - y * Math.sin(angle), y: cy + x * Math.sin(angle) + y * Math.cos(angle) };
  });
}

/** A blurred, dimmed other photo: the room behind the instrument. */
function backdrop(scene: RgbImage, random: Random): FloatImage {
  const src = toFloat(scene);
  const out = new Float32Array(FRAME_SIZE * FRAME_SIZE * 3);
  const dim = between(random, 0.45, 0.9);
  const cell = 12;
  // A coarse average per block is blur enough for a background.
  for (let y = 0; y < FRAME_SIZE; y++) {
    for (let x = 0; x < FRAME_SIZE; x++) {
      const bx = Math.floor(x / cell) * cell + cell / 2;
      const by = Math.floor(y / cell) * cell + cell / 2;
      const sx = Math.min(src.width - 1, Math.floor((bx / FRAME_SIZE) * src.width));
      const sy = Math.min(src.height - 1, Math.floor((by / FRAME_SIZE) * src.height));
      for (let c = 0; c < 3; c++) out[(y * FRAME_SIZE + x) * 3 + c] = src.data[(sy * src.width + sx) * 3 + c]! * dim;
    }
  }
  return { width: FRAME_SIZE, height: FRAME_SIZE, data: out };
}

/** The photo re-framed to fill the frame (zoom and shift of a few percent): how the camera sees a person. */
function framePhoto(photo: FloatImage, random: Random): { frame: FloatImage; photoToFrame: Homography } {
  const frame: FloatImage = { width: FRAME_SIZE, height: FRAME_SIZE, data: new Float32Array(FRAME_SIZE * FRAME_SIZE * 3) };
  const zoom = between(random, 1.0, 1.15);
  const s = (FRAME_SIZE / Math.max(photo.width, photo.height)) * zoom;
  const dx = FRAME_SIZE / 2 - (photo.width / 2) * s + between(random, -0.04, 0.04) * FRAME_SIZE;
  const dy = FRAME_SIZE / 2 - (photo.height / 2) * s + between(random, -0.04, 0.04) * FRAME_SIZE;
  const photoToFrame: Homography = [s, 0, dx, 0, s, dy, 0, 0, 1];
  warpInto(frame, photo, invertHomography(photoToFrame)!, () => true);
  return { frame, photoToFrame };
}

function mapKeypoints(h: Homography, k: FaceKeypoints): FaceKeypoints {
  return k.map((p) => applyHomography(h, p)) as unknown as FaceKeypoints;
}

async function camera(frame: FloatImage, random: Random): Promise<RgbImage> {
  return toRgb(cameraNoise(frame, random, between(random, 0.2, 0.7), between(random, 0.005, 0.02)));
}

/** A bona fide frame of `face`, masked with `maskColour` when given. */
export async function renderBonaFide(face: SourceFace, random: Random, maskColour: string | null): Promise<RgbImage> {
  const photo = maskColour ? await drawMask(face.photo, face.detection.keypoints, maskColour) : face.photo;
  return camera(framePhoto(toFloat(photo), random).frame, random);
}

/** An oval around the face (in photo pixels): where a cut-out photo is cut. */
function faceOval(face: FaceDetection): (u: number, v: number) => boolean {
  const { box } = face;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height * 0.45;
  const rx = box.width * 0.62;
  const ry = box.height * 0.8;
  return (u, v) => ((u - cx) / rx) ** 2 + ((v - cy) / ry) ** 2 <= 1;
}

/**
 * One attack frame: `face` is the victim's photo; `scene` is either the room behind a held
 * print/screen or, for cut-outs, the attacker (another person's photo) wearing it over the face.
 */
export async function renderAttack(type: AttackType, face: SourceFace, scene: SourceFace, random: Random): Promise<RgbImage> {
  const photo = toFloat(face.photo);
  if (type === 'print' || type === 'replay') {
    const print = type === 'print';
    const margin = Math.round(photo.width * (print ? between(random, 0.04, 0.15) : between(random, 0.05, 0.12)));
    const rendered = print
      ? withMargin(paperTexture(halftone(photo, random), random), margin, [0.93, 0.93, 0.9])
      : withMargin(screenTone(photo, random), margin, [0.04, 0.04, 0.05]);
    const frame = backdrop(scene.photo, random);
    const quad = heldQuad(rendered.width, rendered.height, random, print ? [0.85, 1.35] : [0.8, 1.25]);
    const srcCorners = [
      { x: 0, y: 0 },
      { x: rendered.width, y: 0 },
      { x: rendered.width, y: rendered.height },
      { x: 0, y: rendered.height },
    ];
    const srcToFrame = fitHomography(srcCorners, quad)!;
    // A bent print darkens towards the edges that curve away from the light.
    const bend = print ? between(random, 0, 0.35) : 0;
    const shade = (u: number) => 1 - bend * ((2 * u) / rendered.width - 1) ** 2;
    const coverage = warpInto(frame, rendered, invertHomography(srcToFrame)!, () => true, shade);
    if (!print) moire(frame, coverage, random);
    if (!print || random() < 0.3) specular(frame, coverage, random);
    if (print || random() < 0.5) fingers(frame, [quad[2]!, quad[3]!, mid(quad[2]!, quad[3]!), mid(quad[1]!, quad[2]!)], random);
    return camera(frame, random);
  }
  // Cut-out: the printed face, cut along an oval, held in front of the attacker's own face.
  const printed = paperTexture(halftone(photo, random), random);
  const { frame, photoToFrame: attackerToFrame } = framePhoto(toFloat(scene.photo), random);
  const target = mapKeypoints(attackerToFrame, scene.detection.keypoints);
  const victim = face.detection.keypoints;
  // Eyes onto the attacker's eyes (a similarity: a held photo is not stretched), a few px off.
  const srcToFrame = similarity(victim[0], victim[1], jitter(target[0], random, 4), jitter(target[1], random, 4));
  warpInto(frame, printed, invertHomography(srcToFrame)!, faceOval(face.detection));
  let rgb = toRgb(frame);
  if (type === 'photo_mask') {
    const colours = ['#9cc7e0', '#f2f2f2', '#2b2b2b', '#6f8fb3'];
    rgb = await drawMask(rgb, mapKeypoints(srcToFrame, victim), colours[Math.floor(random() * colours.length)]);
  }
  return camera(toFloat(rgb), random);
}

/** The similarity (rotation, uniform scale, shift) taking a1 to b1 and a2 to b2. */
function similarity(a1: Point, a2: Point, b1: Point, b2: Point): Homography {
  const ax = a2.x - a1.x;
  const ay = a2.y - a1.y;
  const bx = b2.x - b1.x;
  const by = b2.y - b1.y;
  const d = ax * ax + ay * ay;
  const c = (ax * bx + ay * by) / d;
  const s = (ax * by - ay * bx) / d;
  return [c, -s, b1.x - (c * a1.x - s * a1.y), s, c, b1.y - (s * a1.x + c * a1.y), 0, 0, 1];
}

const mid = (a: Point, b: Point): Point => ({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });
const jitter = (p: Point, random: Random, px: number): Point => ({ x: p.x + between(random, -px, px), y: p.y + between(random, -px, px) });

/**
 * The frames of a held instrument moving as one plane: `frame` (an attack frame) re-projected
 * through a slow pan, tilt and turn over `count` frames, on a plain backdrop. For the temporal
 * (landmark rigidity) evidence: every point of a plane follows one homography.
 */
export function planeMotionFrames(frame: RgbImage, count: number, random: Random): { frames: RgbImage[]; motion: Homography[] } {
  const src = toFloat(frame);
  const pan = between(random, -0.08, 0.08) * FRAME_SIZE;
  const turn = between(random, 0.2, 0.6) * 1e-3 * (random() < 0.5 ? -1 : 1);
  const tilt = between(random, -4, 4);
  const frames: RgbImage[] = [];
  const motion: Homography[] = [];
  for (let t = 0; t < count; t++) {
    const s = count > 1 ? t / (count - 1) : 0;
    const a = ((tilt * s) * Math.PI) / 180;
    const c = FRAME_SIZE / 2;
    // Rotate about the centre, shift, and a perspective term (the plane turning about a vertical axis).
    const h: Homography = [Math.cos(a), -Math.sin(a), c - c * Math.cos(a) + c * Math.sin(a) + pan * s, Math.sin(a), Math.cos(a), c - c * Math.sin(a) - c * Math.cos(a), turn * s, 0, 1 - turn * s * c];
    const out: FloatImage = { width: FRAME_SIZE, height: FRAME_SIZE, data: new Float32Array(FRAME_SIZE * FRAME_SIZE * 3).fill(0.35) };
    warpInto(out, src, invertHomography(h)!, () => true);
    frames.push(toRgb(out));
    motion.push(h);
  }
  return { frames, motion };
}
