#!/usr/bin/env node
// Measures the landmark-rigidity evidence (access/landmark-rigidity.ts) on what we can render:
// attack frames of the attack set moved as planes (planeMotionFrames) and detected by BlazeFace
// frame by frame, so the residual includes the detector's own keypoint noise. There is no real
// video of live heads to compare with: the bona fide side is simulated from a 3-D keypoint model
// of a head turning by a few degrees, with the keypoint noise measured on the planes. Run after
// `npm run build` and `maskgate attack-set`: node scripts/measure-rigidity.mjs var/pad-set [clips]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
const root = resolve(import.meta.dirname, '..');
const { BlazeFaceDetector } = await import(join(root, 'dist/pipeline/detector.js'));
const { readImageFile } = await import(join(root, 'dist/pipeline/image.js'));
const { planeMotionFrames } = await import(join(root, 'dist/synthetic/attack-scene.js'));
const { seededRandom } = await import(join(root, 'dist/synthetic/seeded-random.js'));
const { landmarkRigidity } = await import(join(root, 'dist/access/landmark-rigidity.js'));

const set = resolve(process.argv[2] ?? 'var/pad-set');
const clips = Number(process.argv[3] ?? 40);
const random = seededRandom(5);
const detector = await BlazeFaceDetector.create({ modelPath: join(root, 'models/blazeface/blazeface_back_256.onnx') });
const attacks = readFileSync(join(set, 'list.csv'), 'utf8').trim().split('\n').map((l) => l.split(',')).filter(([, label, kind]) => label === 'attack' && (kind === 'print' || kind === 'replay'));
const planes = [];
for (let i = 0; i < clips; i++) {
  const [path] = attacks[Math.floor(random() * attacks.length)];
  const { frames } = planeMotionFrames(await readImageFile(join(set, path)), 8, random);
  const track = [];
  for (const f of frames) {
    const [d] = await detector.detect(f);
    if (d) track.push(d.keypoints);
  }
  if (track.length >= 4) planes.push(landmarkRigidity(track));
}
await detector.close();
const q = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };
const planeScores = planes.flatMap((e) => (e.nonRigidity === null ? [] : [e.nonRigidity]));

// Bona fide, simulated: a head (eyes, nose tip forward, mouth, ears behind; inter-eye units)
// turning by up to `yaw` degrees over 8 frames, keypoint noise as measured on the planes' residuals.
const HEAD = [[-0.5, 0, 0], [0.5, 0, 0], [0, 0.45, 0.45], [0, 0.9, 0.1], [-0.95, 0.2, -0.9], [0.95, 0.2, -0.9]];
const noise = q(planeScores, 0.5) * 60; // px at 60 px per inter-eye distance
const head = (yaw) => Array.from({ length: 8 }, (_, t) => {
  const y = ((yaw * t) / 7) * Math.PI / 180;
  return HEAD.map(([x, yy, z]) => ({ x: 320 + 60 * (x * Math.cos(y) + z * Math.sin(y)) + noise * (random() + random() - 1), y: 240 + 60 * yy + noise * (random() + random() - 1) }));
});
console.log(`planes: ${planes.length} clips with a track of >= 4 frames; ${planeScores.length} moved enough to judge`);
console.log(`plane non-rigidity (homography residual / inter-eye): median ${q(planeScores, 0.5).toFixed(4)}, 90th pct ${q(planeScores, 0.9).toFixed(4)}, max ${q(planeScores, 1).toFixed(4)}`);
for (const yaw of [3, 6, 10, 15]) {
  const live = Array.from({ length: 200 }, () => landmarkRigidity(head(yaw)).nonRigidity).filter((v) => v !== null);
  const above = live.filter((v) => v > q(planeScores, 0.9)).length / live.length;
  console.log(`simulated head turning ${yaw} deg: median ${q(live, 0.5).toFixed(4)}; above the planes' 90th pct: ${(above * 100).toFixed(0)}%`);
}
