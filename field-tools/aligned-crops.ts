// Face crops that are already aligned (the trainer's own 112x112 crops, written by
// `python -m maskgate_trainer export-pairs`) straight into the embedder: no detection, synthetic
// mask or quality gate. `maskgate eval --aligned` uses this so that it and the trainer score the
// very same pixels with the same model, and any difference left is in the model runtime or the
// metrics, not in acquisition. Every failure comes back as a result with a stable code.
import type { Embedder } from '../pipeline/embedder.js';
import { ImageDecodeError, readImageFile, type ImageDecodeErrorCode } from '../pipeline/image.js';
import type { RgbImage } from '../pipeline/types.js';

export type CropErrorCode = ImageDecodeErrorCode | 'not_aligned_crop' | 'embedding_failed';

export type CropOutcome =
  | { readonly ok: true; readonly embedding: Float32Array }
  | { readonly ok: false; readonly error: CropErrorCode; readonly message: string };

type Decoded = { readonly crop: RgbImage } | Extract<CropOutcome, { ok: false }>;

async function decodeCrop(path: string, size: number): Promise<Decoded> {
  try {
    const crop = await readImageFile(path);
    if (crop.width !== size || crop.height !== size) {
      return { ok: false, error: 'not_aligned_crop', message: `An aligned crop is ${size}x${size} pixels, this image is ${crop.width}x${crop.height}` };
    }
    return { crop };
  } catch (err) {
    if (err instanceof ImageDecodeError) return { ok: false, error: err.code, message: err.message };
    return { ok: false, error: 'image_unreadable', message: (err as Error).message };
  }
}

/** Embeds `paths` in batches of `batchSize`; results in path order. */
export async function embedAlignedCrops(
  embedder: Embedder,
  paths: readonly string[],
  size: number,
  batchSize: number,
  onProgress?: (done: number, total: number) => void,
): Promise<CropOutcome[]> {
  const out: CropOutcome[] = [];
  for (let start = 0; start < paths.length; start += batchSize) {
    const decoded = await Promise.all(paths.slice(start, start + batchSize).map((p) => decodeCrop(p, size)));
    const crops = decoded.flatMap((d) => ('crop' in d ? [d.crop] : []));
    let embeddings: Float32Array[] | Error;
    try {
      embeddings = await embedder.embed(crops);
    } catch (err) {
      embeddings = err instanceof Error ? err : new Error(String(err));
    }
    let next = 0;
    for (const d of decoded) {
      if (!('crop' in d)) out.push(d);
      else if (embeddings instanceof Error) out.push({ ok: false, error: 'embedding_failed', message: `The model failed on this batch: ${embeddings.message}` });
      else out.push({ ok: true, embedding: embeddings[next++]! });
    }
    onProgress?.(out.length, paths.length);
  }
  return out;
}
