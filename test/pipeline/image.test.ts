import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, encodePng, ImageDecodeError, readImageFile } from '../../pipeline/image.js';

const SAMPLE = join(import.meta.dirname, '../../demo-assets/sample1.jpg');

async function expectDecodeError(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImageDecodeError);
  expect((err as ImageDecodeError).code).toBe(code);
}

/** A PNG whose header claims `width x height` but whose pixel data is a 1x1 image's. */
function pngWithClaimedSize(png: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(png);
  // Signature (8) + IHDR length (4) + "IHDR" (4), then width, height; CRC covers type + data.
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  return out;
}

describe('decodeImage', () => {
  it('decodes a JPEG into packed RGB', async () => {
    const img = await decodeImage(readFileSync(SAMPLE));
    expect([img.width, img.height]).toEqual([1920, 1280]);
    expect(img.data.length).toBe(1920 * 1280 * 3);
  });

  it('applies the EXIF orientation', async () => {
    // 40x20 landscape stored with orientation 6 (rotate 90 degrees clockwise to display).
    const jpeg = await sharp({ create: { width: 40, height: 20, channels: 3, background: '#808080' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const img = await decodeImage(jpeg);
    expect([img.width, img.height]).toEqual([20, 40]);
  });

  it('drops alpha and expands grey to three channels', async () => {
    const rgba = await sharp({ create: { width: 4, height: 3, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } } })
      .png()
      .toBuffer();
    const img = await decodeImage(rgba);
    expect(img.data.length).toBe(4 * 3 * 3);
    expect(Array.from(img.data.subarray(0, 3))).toEqual([10, 20, 30]);

    const grey = await sharp(Buffer.alloc(6, 77), { raw: { width: 3, height: 2, channels: 1 } }).png().toBuffer();
    const g = await decodeImage(grey);
    expect(Array.from(g.data)).toEqual(new Array(18).fill(77));
  });

  it('rejects empty, garbage and truncated input as image_unreadable', async () => {
    await expectDecodeError(decodeImage(Buffer.alloc(0)), 'image_unreadable');
    await expectDecodeError(decodeImage(Buffer.from('definitely not an image')), 'image_unreadable');
    const jpeg = readFileSync(SAMPLE);
    await expectDecodeError(decodeImage(jpeg.subarray(0, jpeg.length >> 1)), 'image_unreadable');
  });

  it('refuses a decompression bomb from its header', async () => {
    const tiny = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#000' } }).png().toBuffer();
    const bomb = pngWithClaimedSize(tiny, 20_000, 20_000);
    expect(bomb.length).toBeLessThan(200);
    await expectDecodeError(decodeImage(bomb), 'image_too_large');
  });

  it('enforces maxPixels', async () => {
    const png = await sharp({ create: { width: 100, height: 100, channels: 3, background: '#fff' } }).png().toBuffer();
    await expectDecodeError(decodeImage(png, { maxPixels: 9_999 }), 'image_too_large');
    await expect(decodeImage(png, { maxPixels: 10_000 })).resolves.toMatchObject({ width: 100, height: 100 });
  });
});

describe('readImageFile', () => {
  it('reads a file and reports a missing one as image_missing', async () => {
    await expect(readImageFile(SAMPLE)).resolves.toMatchObject({ width: 1920, height: 1280 });
    await expectDecodeError(readImageFile(join(import.meta.dirname, 'no-such-image.jpg')), 'image_missing');
  });
});

describe('encodePng', () => {
  it('round-trips pixels exactly', async () => {
    const data = Uint8Array.from({ length: 5 * 4 * 3 }, (_, i) => (i * 37) % 256);
    const png = await encodePng({ width: 5, height: 4, data });
    const back = await decodeImage(png);
    expect(back.width).toBe(5);
    expect(Array.from(back.data)).toEqual(Array.from(data));
  });

  it('rejects a buffer of the wrong length', async () => {
    await expect(encodePng({ width: 5, height: 4, data: new Uint8Array(10) })).rejects.toThrow(RangeError);
  });
});
