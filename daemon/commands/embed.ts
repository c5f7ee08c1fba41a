// `maskgate embed`: image paths on stdin, one JSON line per path on stdout, in input order:
// {"path","embedding"[,"warnings"]} or {"path","error","message"[,"reasons"]}. Photo quality
// profile by default: only unusable faces are refused, the door's objections come as warnings.
// A bad photo never stops the run. Logs go to stderr so that stdout carries nothing but results.
import { createInterface } from 'node:readline';
import type { Writable } from 'node:stream';
import type { PhotoEmbedder, PhotoOutcome } from '../../field-tools/photo-embedder.js';
import type { Command } from './command.js';
import { CONFIG_OPTION, loadConfigAndLogger, parseOptions } from './shared.js';
import { DEFAULT_BATCH, integerOption, openPhotoEmbedder, toolQualityOption, withEmbedderModel } from './tool-options.js';

/** One result line. Float32 values keep their exact value in 9 significant digits. */
export function resultLine(path: string, outcome: PhotoOutcome): string {
  if (outcome.ok) {
    const embedding = Array.from(outcome.embedding, (v) => Number(v.toPrecision(9)));
    return JSON.stringify(outcome.warnings.length ? { path, embedding, warnings: outcome.warnings } : { path, embedding });
  }
  return JSON.stringify({
    path,
    error: outcome.error,
    message: outcome.message,
    ...(outcome.reasons ? { reasons: outcome.reasons } : {}),
  });
}

/** Writes respecting backpressure, so a slow consumer of stdout does not grow our memory. */
function write(out: Writable, text: string): Promise<void> {
  return new Promise((resolveWrite, reject) => {
    const ok = out.write(text, (err) => (err ? reject(err) : undefined));
    if (ok) resolveWrite();
    else out.once('drain', resolveWrite);
  });
}

async function flush(photos: PhotoEmbedder, paths: string[], out: Writable): Promise<void> {
  const outcomes = await photos.embed(paths.map((source) => ({ source })));
  await write(out, outcomes.map((o, k) => `${resultLine(paths[k]!, o)}\n`).join(''));
}

export const embedCommand: Command = {
  name: 'embed',
  summary: 'Embed the largest face of each image path read on stdin; one JSON line per path on stdout',
  usage: 'maskgate embed [--model <onnx>] [--config <file>] [--batch N] [--quality photo|door|none]   (paths on stdin, one per line)',
  async run(args, io) {
    const { values } = parseOptions(args, { ...CONFIG_OPTION, model: { type: 'string' }, batch: { type: 'string' }, quality: { type: 'string' } });
    const quality = toolQualityOption(values.quality);
    const batch = integerOption('batch', values.batch, DEFAULT_BATCH, 1, 256);
    const loaded = loadConfigAndLogger(values.config, 'warn');
    const config = withEmbedderModel(loaded.config, values.model);
    const { core, photos } = await openPhotoEmbedder(config, loaded.logger, quality);
    let count = 0;
    try {
      let pending: string[] = [];
      for await (const line of createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY })) {
        const path = line.trim();
        if (path === '') continue;
        pending.push(path);
        if (pending.length >= batch) {
          await flush(photos, pending, io.stdout);
          count += pending.length;
          pending = [];
        }
      }
      if (pending.length > 0) await flush(photos, pending, io.stdout);
      count += pending.length;
      loaded.logger.info({ images: count, modelId: photos.modelId }, 'embed finished');
      return 0;
    } finally {
      await core.close();
    }
  },
};
