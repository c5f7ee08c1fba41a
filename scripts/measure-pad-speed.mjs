#!/usr/bin/env node
// Milliseconds per face of a PAD model through the daemon's own wrapper (pipeline/pad-model.ts:
// context crop, resampling, normalisation, one ONNX run per face) on ONE CPU thread, as on the
// device where PAD shares the frame budget with detection and embedding. Several models are fused
// as model.pad fuses them (pipeline/fused-pad-scorer.ts). Run after `npm run build`:
//   node scripts/measure-pad-speed.mjs [model.onnx ...] [faces=300]   (default: the shipped pair)
import { join, resolve } from 'node:path';
const root = resolve(import.meta.dirname, '..');
const { openPadScorer } = await import(join(root, 'dist/pipeline/fused-pad-scorer.js'));

const args = process.argv.slice(2);
const faces = args.length && /^\d+$/.test(args.at(-1)) ? Number(args.pop()) : 300;
const models = args.length ? args.map((m) => resolve(m)) : ['padnet.onnx', 'padnet-tight.onnx'].map((m) => join(root, 'models/padnet', m));
const scorer = await openPadScorer(models, { intraOpThreads: 1 });
// A 640x480 door frame with a 120 px face box: the crop is 324 px resampled to the model's input.
const image = { width: 640, height: 480, data: new Uint8Array(640 * 480 * 3).map((_, i) => (i * 7919) % 251) };
const box = { x: 260, y: 180, width: 120, height: 120 };
for (let i = 0; i < 20; i++) await scorer.score([{ image, box }]); // warm-up
const times = [];
for (let i = 0; i < faces; i++) {
  const t = process.hrtime.bigint();
  await scorer.score([{ image, box }]);
  times.push(Number(process.hrtime.bigint() - t) / 1e6);
}
await scorer.close();
times.sort((a, b) => a - b);
const at = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(2);
console.log(`${scorer.modelId}: ${faces} faces, one thread: median ${at(0.5)} ms, p90 ${at(0.9)} ms, min ${at(0)} ms per face`);
