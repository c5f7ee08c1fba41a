// Decoding of still images (enrolment uploads, test files) into packed RGB, and PNG encoding.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import type { RgbImage } from './types.js';
import { CodedError } from './coded-error.js';

export type ImageDecodeErrorCode = 'image_missing' | 'image_unreadable' | 'image_too_large';

export class ImageDecodeError extends CodedError<ImageDecodeErrorCode> {}

/**
 * Largest accepted image, in pixels (width x height). 50 MP admits any current phone photo
 * while keeping the decoded RGB buffer under 150 MB; a decompression bomb is refused before
 * it is decoded because sharp checks the header dimensions first.
 */
export const DEFAULT_MAX_PIXELS = 50_000_000;

/** File name endings of the photo formats readImageFile decodes (sharp/libvips; not BMP). */
export const IMAGE_FILE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.gif', '.avif']);

/** Whether a file name looks like a photo readImageFile can read (by its ending, any case). */
export function isImageFileName(name: string): boolean {
  const dot = name.lastIndexOf('.');
  return dot >= 0 && IMAGE_FILE_EXTENSIONS.has(name.slice(dot).toLowerCase());
}

export interface DecodeOptions {
  readonly maxPixels?: number;
}

/** Decodes JPEG/PNG/WebP/... bytes into sRGB, EXIF-rotated, alpha dropped. */
export async function decodeImage(bytes: Buffer | Uint8Array, opts: DecodeOptions = {}): Promise<RgbImage> {
  const maxPixels = opts.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Number.isInteger(maxPixels) || maxPixels <= 0) {
    throw new RangeError(`maxPixels must be a positive integer, got ${maxPixels}`);
  }
  if (bytes.length === 0) throw new ImageDecodeError('image_unreadable', 'Image is empty (0 bytes)');
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' })
      .autoOrient()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new ImageDecodeError('image_unreadable', `Decoded image has ${info.channels} channels, expected 3`);
    }
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    if (err instanceof ImageDecodeError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (/pixel limit/i.test(message)) {
      throw new ImageDecodeError('image_too_large', `Image exceeds the limit of ${maxPixels} pixels`, { cause: err });
    }
    throw new ImageDecodeError('image_unreadable', `Image could not be decoded: ${message}`, { cause: err });
  }
}

/** Reads and decodes an image file; a missing file is `image_missing`. */
export async function readImageFile(path: string, opts: DecodeOptions = {}): Promise<RgbImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ImageDecodeError('image_missing', `Image file not found: ${path}`, { cause: err });
    }
    throw new ImageDecodeError('image_unreadable', `Image file ${path} is unreadable (${code ?? 'error'})`, {
      cause: err,
    });
  }
  return decodeImage(bytes, opts);
}

/** Lossless PNG of a packed RGB image (reference crops, test vectors). */
export async function encodePng(img: RgbImage): Promise<Buffer> {
  assertRgbImage(img);
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).png().toBuffer();
}

/** Throws a RangeError when `img.data` does not hold exactly width*height*3 bytes. */
export function assertRgbImage(img: RgbImage): void {
  if (!Number.isInteger(img.width) || !Number.isInteger(img.height) || img.width <= 0 || img.height <= 0) {
    throw new RangeError(`Invalid image size ${img.width}x${img.height}`);
  }
  if (img.data.length !== img.width * img.height * 3) {
    throw new RangeError(
      `Image buffer holds ${img.data.length} bytes, expected ${img.width * img.height * 3} for ${img.width}x${img.height} RGB`,
    );
  }
}
