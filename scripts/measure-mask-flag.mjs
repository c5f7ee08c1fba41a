#!/usr/bin/env node
// The mask flag through the daemon's own pipeline (BlazeFace, alignment, models/maskflag): on the
// bona fide frames of an attack set (var/pad-set: the daemon's flat polygon masks, not the trainer's)
// and on MFR2's real masked/unmasked photos. Args: [mfr2 list: path,masked|unmasked]. Run after npm run build.
import { join } from 'node:path';
const root = (await import('node:path')).resolve(import.meta.dirname, '..');
const { OnnxMaskClassifier } = await import(join(root, 'dist/pipeline/mask-classifier.js'));
const { BlazeFaceDetector } = await import(join(root, 'dist/pipeline/detector.js'));
const { alignFace } = await import(join(root, 'dist/pipeline/align.js'));
const { readImageFile } = await import(join(root, 'dist/pipeline/image.js'));
const { drawMask } = await import(join(root, 'dist/synthetic/synthetic-mask.js'));
const { readFileSync } = await import('node:fs');
const m = await OnnxMaskClassifier.create(join(root, 'models/maskflag/maskflag.onnx'));
const det = await BlazeFaceDetector.create({ modelPath: join(root, 'models/blazeface/blazeface_back_256.onnx') });
// The daemon's own flat polygon masks (demo/e2e artwork) on PAD held-out LFW faces, and MFR2 through the daemon's pipeline.
const rows = readFileSync(join(root, 'var/pad-set/list.csv'), 'utf8').trim().split('\n').map((l) => l.split(',')).filter(([, l, k]) => l === 'bona_fide');
let n = { masked: [0, 0], unmasked: [0, 0] };
for (const [p, , kind] of rows) {
  const img = await readImageFile(join(root, 'var/pad-set', p));
  const [d] = await det.detect(img);
  if (!d) continue;
  const [flag] = await m.classify([alignFace(img, d)]);
  n[kind][0]++; if (flag === (kind === 'masked')) n[kind][1]++;
}
console.log('pad-set bona fide (daemon polygon masks):', JSON.stringify(n));
const mfr = readFileSync(process.argv[2] ?? join(root, 'var/mfr2-cond.csv'), 'utf8').trim().split('\n').map((l) => l.split(','));
n = { masked: [0, 0], unmasked: [0, 0] };
for (const [p, kind] of mfr) {
  const img = await readImageFile(p);
  const [d] = await det.detectWithPadding(img);
  if (!d) continue;
  const [flag] = await m.classify([alignFace(img, d)]);
  n[kind][0]++; if (flag === (kind === 'masked')) n[kind][1]++;
}
console.log('mfr2 via the daemon pipeline [n, correct]:', JSON.stringify(n));
