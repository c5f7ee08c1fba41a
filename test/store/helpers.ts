// Shared fixtures for the store tests: temporary database files and fake face data.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QualityReport } from '../../pipeline/types.js';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface TempDir {
  readonly path: string;
  file(name: string): string;
  remove(): void;
}

export function makeTempDir(prefix = 'maskgate-store-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    file: (name) => join(path, name),
    remove: () => rmSync(path, { recursive: true, force: true }),
  };
}

/** Bytes that pass the store's PNG check; random after the signature so they are findable on disk. */
export function fakePng(size = 2048): Buffer {
  return Buffer.concat([PNG_SIGNATURE, randomBytes(Math.max(1, size - PNG_SIGNATURE.length))]);
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export const GOOD_QUALITY: QualityReport = {
  ok: true,
  reasons: [],
  interEyeDistancePx: 42.5,
  sharpness: 120.25,
  yawDeg: 3.5,
  rollDeg: -1.25,
};

export function randomEmbedding(dimension = 512): Float32Array {
  const embedding = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) embedding[i] = Math.random() * 2 - 1;
  return embedding;
}
