// Regenerates the shared detection/alignment test vectors from the built TypeScript pipeline.
//
//   npm run build && node test/vectors/alignment/generate.mjs            # JSON + aligned crops
//   npm run build && node test/vectors/alignment/generate.mjs --inputs   # also re-cut the inputs
//
// The inputs are cut from demo-assets/sample*.jpg (MIT, see demo-assets/LICENSE). Regenerate only
// when a detector or alignment change is intended, and say so in the commit: the Python trainer
// checks its own implementation against these files (see README.md beside this script).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../../..');
const dist = join(root, 'dist/pipeline');
const { BlazeFaceDetector, DEFAULT_NMS_IOU_THRESHOLD, DEFAULT_REDETECT_PADDING, DEFAULT_SCORE_THRESHOLD, LARGE_FACE_FRACTION } =
  await import(join(dist, 'detector.js'));
const { alignFace, alignmentMatrix, ARCFACE_TEMPLATE_112 } = await import(join(dist, 'align.js'));
const { encodePng, readImageFile } = await import(join(dist, 'image.js'));

/** name -> how it is cut from a demo photo (pixel rectangles in the original JPEG). */
const INPUTS = {
  'face-a': { source: 'sample3.jpg', crop: { left: 431, top: 225, width: 522, height: 522 }, size: 224 },
  'face-b': { source: 'sample6.jpg', crop: { left: 1280, top: 128, width: 615, height: 615 }, size: 224 },
  // face-a turned 25 degrees clockwise (roll), black corners, then the centre 224x224.
  'face-a-roll': { source: 'sample3.jpg', crop: { left: 431, top: 225, width: 522, height: 522 }, size: 224, rotate: 25 },
  // A face that fills the frame, as in an ID photo: exercises the padded second pass.
  'face-c-tight': { source: 'sample5.jpg', crop: { left: 775, top: 156, width: 174, height: 174 }, size: 160 },
};

async function cutInput(name, spec) {
  const src = join(root, 'demo-assets', spec.source);
  let img = sharp(src).extract(spec.crop).resize(spec.size, spec.size);
  if (spec.rotate) {
    const resized = await img.png().toBuffer();
    const rotated = await sharp(resized).rotate(spec.rotate, { background: '#000000' }).png().toBuffer();
    const meta = await sharp(rotated).metadata();
    const left = Math.floor((meta.width - spec.size) / 2);
    const top = Math.floor((meta.height - spec.size) / 2);
    img = sharp(rotated).extract({ left, top, width: spec.size, height: spec.size });
  }
  await img.removeAlpha().png({ compressionLevel: 9 }).toFile(join(here, `${name}.png`));
}

const args = new Set(process.argv.slice(2));
if (args.has('--inputs')) for (const [name, spec] of Object.entries(INPUTS)) await cutInput(name, spec);

const modelPath = join(root, 'models/blazeface/blazeface_back_256.onnx');
const modelSha256 = createHash('sha256').update(readFileSync(modelPath)).digest('hex');
const detector = await BlazeFaceDetector.create({ modelPath, intraOpThreads: 1 });
for (const [name, spec] of Object.entries(INPUTS)) {
  const image = await readImageFile(join(here, `${name}.png`));
  const detections = await detector.detectWithPadding(image);
  const faces = [];
  for (const [i, d] of detections.entries()) {
    const crop = `${name}.aligned-${i}.png`;
    writeFileSync(join(here, crop), await encodePng(alignFace(image, d)));
    const m = alignmentMatrix(d);
    faces.push({
      box: d.box,
      score: d.score,
      keypoints: d.keypoints.map((p) => [p.x, p.y]),
      matrix: [m.slice(0, 3), m.slice(3, 6)],
      crop,
    });
  }
  const vector = {
    format: 'maskgate-alignment-vector/1',
    input: `${name}.png`,
    inputSource: { file: `demo-assets/${spec.source}`, crop: spec.crop, resizeTo: spec.size, rotateDeg: spec.rotate ?? 0 },
    width: image.width,
    height: image.height,
    detector: {
      model: relative(root, modelPath),
      modelSha256,
      call: 'detectWithPadding',
      scoreThreshold: DEFAULT_SCORE_THRESHOLD,
      nmsIouThreshold: DEFAULT_NMS_IOU_THRESHOLD,
      padding: DEFAULT_REDETECT_PADDING,
      largeFaceFraction: LARGE_FACE_FRACTION,
    },
    template: ARCFACE_TEMPLATE_112.map((p) => [p.x, p.y]),
    cropSize: 112,
    faces,
  };
  writeFileSync(join(here, `${name}.json`), formatJson(vector));
  console.log(`${name}: ${faces.length} face(s)`);
}
await detector.close();

/** Indented JSON with arrays of numbers kept on one line. */
function formatJson(value) {
  return (
    JSON.stringify(value, null, 2).replace(/\[[\s\d.,eE+-]+\]/g, (arr) => arr.replace(/\s+/g, ' ').replace('[ ', '[').replace(' ]', ']')) +
    '\n'
  );
}
