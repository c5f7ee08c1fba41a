// Shared fixtures for the enrolment API tests: a Core with the real models over a temporary
// data directory, API keys, photos (real faces cut from the bundled demo photos, plus the bad
// inputs an attacker or a careless client would send) and row counts to prove "nothing changed".
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { deflateSync } from 'node:zlib';
import { pino, type Logger } from 'pino';
import sharp from 'sharp';
import type { FastifyInstance } from 'fastify';
import { Core } from '../../daemon/appliance.js';
import { createLogger } from '../../daemon/logger.js';
import { buildEnrolmentApi, type EnrolmentApiDeps } from '../../enroll/app.js';
import { parseConfig } from '../../firmware-config/load.js';
import type { Config } from '../../firmware-config/schema.js';
import { decodeImage, readImageFile } from '../../pipeline/image.js';
import type { Box, RgbImage } from '../../pipeline/types.js';
import { ApiKeysRepository } from '../../store/api-keys-repository.js';
import { DecisionsRepository } from '../../store/decisions-repository.js';
import { lfwPhoto, REPO_ROOT } from '../helpers/datasets.js';

export { LFW, lfwPhoto, REPO_ROOT as REPO } from '../helpers/datasets.js';
export const SAMPLE = (n: number): string => join(REPO_ROOT, 'demo-assets', `sample${n}.jpg`);

export function testConfig(dataDir: string, overrides: Record<string, unknown> = {}): Config {
  return parseConfig({
    dataDir,
    model: { detector: join(REPO_ROOT, 'models/blazeface/blazeface_back_256.onnx'), embedder: join(REPO_ROOT, 'models/fr_feature/fr_feature.onnx') },
    ...overrides,
  });
}

export interface TestCore {
  readonly core: Core;
  readonly dataDir: string;
  readonly apiKeys: ApiKeysRepository;
  readonly admin: string;
  readonly reader: string;
  close(): Promise<void>;
}

/** A Core with the real models on a fresh data directory, with one admin and one read-only key. */
export async function openTestCore(overrides: Record<string, unknown> = {}, logger: Logger = pino({ level: 'silent' })): Promise<TestCore> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mg-enroll-'));
  const core = await Core.open(testConfig(dataDir, overrides), logger);
  const apiKeys = new ApiKeysRepository(core.db);
  return {
    core,
    dataDir,
    apiKeys,
    admin: apiKeys.create({ name: 'test admin', role: 'admin' }).secret,
    reader: apiKeys.create({ name: 'test reader', role: 'read-only' }).secret,
    close: async () => {
      await core.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function buildApi(t: TestCore, overrides: Partial<EnrolmentApiDeps> = {}): FastifyInstance {
  return buildEnrolmentApi({
    gallery: t.core.gallery,
    embedder: t.core.embedder,
    apiKeys: t.apiKeys,
    decisions: new DecisionsRepository(t.core.db),
    config: t.core.config.api,
    logger: pino({ level: 'silent' }),
    ...overrides,
  });
}

/** A logger writing JSON lines into `lines`, with the appliance's redaction rules. */
export function capturingLogger(lines: string[]): Logger {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return createLogger('debug', sink);
}

export interface RowCounts {
  people: number;
  faces: number;
  templates: number;
}

export function rowCounts(t: TestCore): RowCounts {
  const count = (table: string): number => t.core.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  return { people: count('people'), faces: count('faces'), templates: count('templates') };
}

export function bearer(key: string): Record<string, string> {
  return { authorization: `Bearer ${key}` };
}

// ---- photos ------------------------------------------------------------------------------

/** A JPEG of `image` cut to a square around `box`, `scale` times its size, as an ID photo would be. */
export async function cropAround(image: RgbImage, box: Box, scale = 1.6, quality = 92): Promise<Buffer> {
  const side = Math.round(Math.max(box.width, box.height) * scale);
  const left = Math.max(0, Math.round(box.x + box.width / 2 - side / 2));
  const top = Math.max(0, Math.round(box.y + box.height / 2 - side / 2));
  return sharp(Buffer.from(image.data), { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left, top, width: Math.min(side, image.width - left), height: Math.min(side, image.height - top) })
    .jpeg({ quality })
    .toBuffer();
}

/**
 * A person who walks past the door camera: an enrolment photo, and a different photo of them
 * for the clip (LFW's Jacques Chirac when the development set is there, else a loose, lower-quality
 * crop of the largest face of demo sample 3).
 */
export async function walkingPerson(core: Core): Promise<{ enrolPhoto: Buffer; walking: RgbImage }> {
  if (existsSync(lfwPhoto('Jacques_Chirac', 3))) {
    return { enrolPhoto: await readFile(lfwPhoto('Jacques_Chirac', 1)), walking: await readImageFile(lfwPhoto('Jacques_Chirac', 3)) };
  }
  const sample = await readImageFile(SAMPLE(3));
  const [face] = (await core.analyzer.analyze(sample, { padded: true })).sort((a, b) => b.detection.box.width - a.detection.box.width);
  return { enrolPhoto: await cropAround(sample, face!.detection.box), walking: await decodeImage(await cropAround(sample, face!.detection.box, 2.4, 75)) };
}

/** One-face photos of the different people in demo sample `n`, largest faces first. */
export async function sampleFacePhotos(core: Core, n: number): Promise<Buffer[]> {
  const image = await readImageFile(SAMPLE(n));
  const faces = (await core.analyzer.analyze(image, { padded: true }))
    .filter((f) => f.embedding !== null)
    .sort((a, b) => b.detection.box.width - a.detection.box.width);
  return Promise.all(faces.map((f) => cropAround(image, f.detection.box)));
}

/** A photo with no face: a smooth gradient. */
export function noFacePhoto(): Promise<Buffer> {
  const width = 320;
  const height = 240;
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([x % 256, y % 256, 128], (y * width + x) * 3);
  }
  return sharp(data, { raw: { width, height, channels: 3 } }).jpeg().toBuffer();
}

/** A JPEG cut off halfway: the header is valid, the image data is not. */
export function corruptJpeg(valid: Buffer): Buffer {
  const broken = Buffer.from(valid.subarray(0, Math.floor(valid.length / 2)));
  broken.fill(0x5a, 600, Math.min(broken.length, 2000)); // garbage inside the entropy-coded data
  return broken;
}

/**
 * A decompression bomb: a valid 1-bit greyscale PNG of side x side pixels (400 MP at 20000)
 * whose rows are all zero, so it deflates to a few tens of KB. Written by hand because asking
 * sharp to encode 400 MP takes seconds.
 */
export function pngBomb(side = 20_000): Buffer {
  const row = Buffer.alloc(1 + Math.ceil(side / 8)); // filter byte 0 + packed bits
  const raw = Buffer.alloc(row.length * side);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, adaptive filter, no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(raw, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
