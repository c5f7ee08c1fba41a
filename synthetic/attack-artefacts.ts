// Image operations that imitate presentation-attack instruments (PAIs): what printing does to a
// photo (halftone screen, paper grain, squeezed dynamic range, white margin), what a phone or
// tablet screen does (gamma and white-point shift, lifted blacks, dark bezel) and what the camera
// adds when it films one (moiré against the pixel grid, specular glare, fingers holding it).
// All work on float RGB images in 0..1 so that effects compose without repeated rounding.
import type { RgbImage } from '../pipeline/types.js';

export interface FloatImage {
  readonly width: number;
  readonly height: number;
  /** Packed RGB, 0..1. */
  readonly data: Float32Array;
}

export type Random = () => number;

export const between = (random: Random, lo: number, hi: number): number => lo + (hi - lo) * random();

export function toFloat(image: RgbImage): FloatImage {
  const data = new Float32Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = image.data[i]! / 255;
  return { width: image.width, height: image.height, data };
}

export function toRgb(image: FloatImage): RgbImage {
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(Math.min(1, Math.max(0, image.data[i]!)) * 255);
  return { width: image.width, height: image.height, data };
}

/** A copy of `image` with a margin of `px` pixels of `colour` on every side. */
export function withMargin(image: FloatImage, px: number, colour: readonly [number, number, number]): FloatImage {
  const width = image.width + 2 * px;
  const height = image.height + 2 * px;
  const data = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const sx = x - px;
      const sy = y - px;
      const inside = sx >= 0 && sy >= 0 && sx < image.width && sy < image.height;
      for (let c = 0; c < 3; c++) data[o + c] = inside ? image.data[(sy * image.width + sx) * 3 + c]! : colour[c]!;
    }
  }
  return { width, height, data };
}

/**
 * Printing: an amplitude-modulated dot screen per channel (rotated like CMYK screens), blended
 * with the tone it reproduces; the paper's white and the ink's black limit the range.
 */
export function halftone(image: FloatImage, random: Random): FloatImage {
  const pitch = between(random, 2.2, 4.5);
  const strength = between(random, 0.25, 0.6);
  const paperWhite = between(random, 0.86, 0.97);
  const inkBlack = between(random, 0.06, 0.16);
  const angles = [15, 75, 45].map((deg) => ((deg + between(random, -5, 5)) * Math.PI) / 180);
  const out = new Float32Array(image.data.length);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const o = (y * image.width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const a = angles[c]!;
        const u = (x * Math.cos(a) + y * Math.sin(a)) / pitch;
        const v = (-x * Math.sin(a) + y * Math.cos(a)) / pitch;
        const screen = 0.5 + 0.25 * (Math.cos(2 * Math.PI * u) + Math.cos(2 * Math.PI * v));
        const tone = image.data[o + c]!;
        const dot = tone > screen ? 1 : 0;
        const printed = tone * (1 - strength) + dot * strength;
        out[o + c] = inkBlack + (paperWhite - inkBlack) * printed;
      }
    }
  }
  return { width: image.width, height: image.height, data: out };
}

/** Smooth value noise in about [-1, 1] with features of about `cell` pixels. */
function valueNoise(width: number, height: number, cell: number, random: Random): Float32Array {
  const gw = Math.ceil(width / cell) + 2;
  const gh = Math.ceil(height / cell) + 2;
  const grid = Float32Array.from({ length: gw * gh }, () => random() * 2 - 1);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const gy = y / cell;
    const y0 = Math.floor(gy);
    const ty = gy - y0;
    for (let x = 0; x < width; x++) {
      const gx = x / cell;
      const x0 = Math.floor(gx);
      const tx = gx - x0;
      const at = (i: number, j: number) => grid[j * gw + i]!;
      const top = at(x0, y0) * (1 - tx) + at(x0 + 1, y0) * tx;
      const bottom = at(x0, y0 + 1) * (1 - tx) + at(x0 + 1, y0 + 1) * tx;
      out[y * width + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}

/** Paper: coarse cloudiness and fine grain, multiplied in. */
export function paperTexture(image: FloatImage, random: Random): FloatImage {
  const coarse = valueNoise(image.width, image.height, between(random, 20, 60), random);
  const fine = valueNoise(image.width, image.height, 1.5, random);
  const a = between(random, 0.02, 0.06);
  const b = between(random, 0.02, 0.05);
  const out = new Float32Array(image.data.length);
  for (let p = 0; p < image.width * image.height; p++) {
    const k = 1 + a * coarse[p]! + b * fine[p]!;
    for (let c = 0; c < 3; c++) out[p * 3 + c] = image.data[p * 3 + c]! * k;
  }
  return { width: image.width, height: image.height, data: out };
}

/** A display: gamma, white-point tint and lifted blacks (backlight bleed). */
export function screenTone(image: FloatImage, random: Random): FloatImage {
  const gamma = between(random, 0.75, 1.35);
  const tint = [between(random, 0.88, 1.02), between(random, 0.92, 1.04), between(random, 0.98, 1.15)];
  const black = between(random, 0.03, 0.1);
  const out = new Float32Array(image.data.length);
  for (let i = 0; i < out.length; i++) {
    out[i] = black + (1 - black) * Math.pow(Math.max(0, image.data[i]!), gamma) * tint[i % 3]!;
  }
  return { width: image.width, height: image.height, data: out };
}

/**
 * Moiré: the display's pixel grid beating against the camera's, seen as a periodic stripe of
 * `pitch` pixels in the camera frame, plus the sub-pixel RGB stripe pattern. Applied only where
 * `coverage` (0..1 per frame pixel) says the screen is.
 */
export function moire(frame: FloatImage, coverage: Float32Array, random: Random): void {
  const pitch = [3, 4.5, 7, 11, 17][Math.floor(random() * 5)]! * between(random, 0.9, 1.1);
  const angle = between(random, -Math.PI / 3, Math.PI / 3);
  const amplitude = between(random, 0.04, 0.14);
  const subpixel = between(random, 0, 0.06);
  const phase = random() * 2 * Math.PI;
  for (let y = 0; y < frame.height; y++) {
    for (let x = 0; x < frame.width; x++) {
      const p = y * frame.width + x;
      const w = coverage[p]!;
      if (w <= 0) continue;
      const s = 1 + w * amplitude * Math.cos((2 * Math.PI * (x * Math.cos(angle) + y * Math.sin(angle))) / pitch + phase);
      for (let c = 0; c < 3; c++) {
        const stripe = 1 + w * subpixel * ((x % 3 === c ? 1 : 0) - 1 / 3);
        frame.data[p * 3 + c]! *= s * stripe;
      }
    }
  }
}

/** Glare: a soft white highlight somewhere on the glossy surface. */
export function specular(frame: FloatImage, coverage: Float32Array, random: Random): void {
  const cx = between(random, 0.2, 0.8) * frame.width;
  const cy = between(random, 0.2, 0.8) * frame.height;
  const sx = between(random, 0.05, 0.3) * frame.width;
  const sy = between(random, 0.03, 0.2) * frame.height;
  const strength = between(random, 0.15, 0.6);
  const angle = random() * Math.PI;
  const [ca, sa] = [Math.cos(angle), Math.sin(angle)];
  for (let y = 0; y < frame.height; y++) {
    for (let x = 0; x < frame.width; x++) {
      const p = y * frame.width + x;
      const w = coverage[p]!;
      if (w <= 0) continue;
      const u = ((x - cx) * ca + (y - cy) * sa) / sx;
      const v = (-(x - cx) * sa + (y - cy) * ca) / sy;
      const glare = w * strength * Math.exp(-(u * u + v * v) / 2);
      for (let c = 0; c < 3; c++) frame.data[p * 3 + c] = frame.data[p * 3 + c]! + glare * (1 - frame.data[p * 3 + c]!);
    }
  }
}

/** One or two fingertips (skin-coloured, shaded ellipses) over the edge of the held artefact. */
export function fingers(frame: FloatImage, edge: readonly { x: number; y: number }[], random: Random): void {
  const count = 1 + Math.floor(random() * 2);
  const skin = [between(random, 0.55, 0.9), between(random, 0.4, 0.7), between(random, 0.3, 0.55)];
  for (let f = 0; f < count; f++) {
    const at = edge[Math.floor(random() * edge.length)]!;
    const rx = between(random, 0.03, 0.06) * frame.width;
    const ry = rx * between(random, 1.5, 2.4);
    const angle = random() * Math.PI;
    const [ca, sa] = [Math.cos(angle), Math.sin(angle)];
    for (let y = Math.max(0, Math.floor(at.y - ry)); y < Math.min(frame.height, Math.ceil(at.y + ry)); y++) {
      for (let x = Math.max(0, Math.floor(at.x - ry)); x < Math.min(frame.width, Math.ceil(at.x + ry)); x++) {
        const u = ((x - at.x) * ca + (y - at.y) * sa) / rx;
        const v = (-(x - at.x) * sa + (y - at.y) * ca) / ry;
        const d = u * u + v * v;
        if (d > 1) continue;
        const shade = 0.75 + 0.25 * Math.sqrt(1 - d);
        for (let c = 0; c < 3; c++) frame.data[(y * frame.width + x) * 3 + c] = skin[c]! * shade;
      }
    }
  }
}

/** The camera: slight defocus (3x3 box blend) and sensor noise. */
export function cameraNoise(frame: FloatImage, random: Random, blur: number, noise: number): FloatImage {
  const { width, height } = frame;
  const out = new Float32Array(frame.data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        let n = 0;
        for (let dy = -1; dy <= 1; dy++) {
          for (let dx = -1; dx <= 1; dx++) {
            const xx = Math.min(width - 1, Math.max(0, x + dx));
            const yy = Math.min(height - 1, Math.max(0, y + dy));
            sum += frame.data[(yy * width + xx) * 3 + c]!;
            n++;
          }
        }
        const o = (y * width + x) * 3 + c;
        out[o] = frame.data[o]! * (1 - blur) + (sum / n) * blur + noise * (random() + random() + random() - 1.5);
      }
    }
  }
  return { width, height, data: out };
}
