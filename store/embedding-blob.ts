// Embeddings are stored as raw IEEE-754 float32, little-endian, one BLOB per template: compact
// (2 KiB for 512-D), loadable without parsing, and identical on every supported CPU.
import { endianness } from 'node:os';
import { StoreError } from './errors.js';

const HOST_IS_LITTLE_ENDIAN = endianness() === 'LE';

export function encodeEmbedding(embedding: Float32Array): Buffer {
  const blob = Buffer.alloc(embedding.length * 4);
  if (HOST_IS_LITTLE_ENDIAN) {
    blob.set(new Uint8Array(embedding.buffer, embedding.byteOffset, embedding.byteLength));
  } else {
    for (let i = 0; i < embedding.length; i++) blob.writeFloatLE(embedding[i]!, i * 4);
  }
  return blob;
}

/** Decodes into a fresh, 4-byte aligned Float32Array (SQLite's buffers carry no alignment promise). */
export function decodeEmbedding(blob: Uint8Array, dimension: number): Float32Array {
  if (blob.byteLength !== dimension * 4) {
    throw new StoreError(
      'STORE_CORRUPT_ROW',
      `embedding blob has ${blob.byteLength} bytes but dimension ${dimension} needs ${dimension * 4}`,
    );
  }
  const embedding = new Float32Array(dimension);
  if (HOST_IS_LITTLE_ENDIAN) {
    new Uint8Array(embedding.buffer).set(blob);
  } else {
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    for (let i = 0; i < dimension; i++) embedding[i] = view.getFloat32(i * 4, true);
  }
  return embedding;
}
