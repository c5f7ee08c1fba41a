#!/usr/bin/env node
// Writes bona fide frames of the appliance's own "live" world: door clips rendered exactly as the
// demo and the end-to-end tests render them (synthetic/door-clip.ts, H.264 through ffmpeg), one
// visit per LFW photo, half of them masked, then a few frames of every visit as JPEGs and a
// `list.csv` (path,bona_fide,masked|unmasked) that `maskgate eval-pad` and the PAD trainer read.
// Identities are split by the PAD held-out rule (synthetic/attack-set.ts), so the training frames
// and the evaluation frames never share a person. With `attacks`, every visit is instead a print or
// a phone replay of the photo (synthetic/attack-scene.ts) carried through the same door clip, as
// the end-to-end test's side door shows it: without these, a model trained on door-clip bona fide
// learns that the clip's wrapper (wall, crop edge, H.264) means "live". Run after `npm run build`:
//   node scripts/door-clip-frames.mjs <lfw root> <out dir> <heldout|train> <visits> <seed> [attacks]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
const root = resolve(import.meta.dirname, '..');
const { BlazeFaceDetector } = await import(join(root, 'dist/pipeline/detector.js'));
const { readImageFile } = await import(join(root, 'dist/pipeline/image.js'));
const { writeClip, DEFAULT_CLIP_OPTIONS } = await import(join(root, 'dist/synthetic/door-clip.js'));
const { isPadHeldOut } = await import(join(root, 'dist/synthetic/attack-set.js'));
const { seededRandom } = await import(join(root, 'dist/synthetic/seeded-random.js'));
const { renderAttack } = await import(join(root, 'dist/synthetic/attack-scene.js'));

const [lfw, outArg, split, visitsArg, seedArg, mode] = process.argv.slice(2);
const attacks = mode === 'attacks';
if (!lfw || !outArg || (split !== 'heldout' && split !== 'train')) {
  console.error('usage: node scripts/door-clip-frames.mjs <lfw root> <out dir> <heldout|train> [visits=60] [seed=1]');
  process.exit(2);
}
const out = resolve(outArg);
const visitCount = Number(visitsArg ?? 60);
const random = seededRandom(Number(seedArg ?? 1));
// The mask colours the demo and the e2e tests use (synthetic-mask.ts default and a few more).
const MASK_COLOURS = ['#9cc7e0', '#f2f2f2', '#2b2b2b', '#6f8fb3'];
// Frames kept per visit: beginning, middle and end of the walk (a visit is 25 frames at 10 fps).
const KEPT_FRAMES = [3, 12, 21];

const identities = readdirSync(lfw, { withFileTypes: true })
  .filter((d) => d.isDirectory() && isPadHeldOut(d.name) === (split === 'heldout'))
  .map((d) => d.name)
  .sort();
const detector = await BlazeFaceDetector.create({ modelPath: join(root, 'models/blazeface/blazeface_back_256.onnx') });
const visits = [];
while (visits.length < visitCount) {
  const identity = identities[Math.floor(random() * identities.length)];
  const files = readdirSync(join(lfw, identity)).filter((f) => /\.jpe?g$/i.test(f)).sort();
  const photo = await readImageFile(join(lfw, identity, files[Math.floor(random() * files.length)]));
  const [detection] = await detector.detectWithPadding(photo);
  if (!detection || detection.box.width < 60) continue;
  if (attacks) {
    const kind = random() < 0.5 ? 'replay' : 'print';
    const shown = await renderAttack(kind, { photo, detection }, { photo, detection }, random);
    const [seen] = await detector.detectWithPadding(shown);
    if (!seen) continue;
    visits.push({ photo: shown, detection: seen, masked: false, kind });
    continue;
  }
  const masked = random() < 0.5;
  visits.push({ photo, detection, masked, maskColour: MASK_COLOURS[Math.floor(random() * MASK_COLOURS.length)] });
}
await detector.close();

mkdirSync(join(out, 'frames'), { recursive: true });
const clip = join(out, 'clip.mp4');
await writeClip(clip, visits);
const { fps, secondsPerVisit, gapSeconds } = DEFAULT_CLIP_OPTIONS;
const gap = Math.round(gapSeconds * fps);
const perVisit = Math.round(secondsPerVisit * fps);
const rows = [];
const selected = [];
visits.forEach((visit, v) => {
  for (const k of KEPT_FRAMES) {
    const frame = gap + v * (gap + perVisit) + k;
    selected.push(frame);
    const label = visit.kind ? `attack,door-${visit.kind}` : `bona_fide,${visit.masked ? 'masked' : 'unmasked'}`;
    rows.push(`frames/${String(frame).padStart(5, '0')}.jpg,${label}\n`);
  }
});
// Decode every frame (numbered from 0, as the frame index above), then keep only the selected ones.
const ffmpeg = spawnSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-i', clip, '-start_number', '0', '-q:v', '2',
  join(out, 'frames/%05d.jpg')], { stdio: 'inherit' });
if (ffmpeg.status !== 0) process.exit(1);
const keep = new Set(selected.map((f) => `${String(f).padStart(5, '0')}.jpg`));
for (const f of readdirSync(join(out, 'frames'))) if (!keep.has(f)) rmSync(join(out, 'frames', f));
writeFileSync(join(out, 'list.csv'), rows.join(''));
console.log(`${rows.length} frames of ${visits.length} visits in ${out}/list.csv`);
