// Before/after acquisition on the development sets of `maskgate acquisition-set`: every image goes
// through the pipeline of a baseline build (its detector and default quality limits) and of this
// build (photo profile), with the same embedder. Per pair list and per condition it prints FTA and
// FNMR at FMR <= 0.1% with failures counted as non-matches, and — the "no worse" check — FNMR at
// FMR <= 0.1% of both builds on the pairs the baseline acquired.
//
//   npm run build
//   git archive <base> | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/ && (cd /tmp/base && npx tsc)
//   nice -n 10 node scripts/measure-acquisition.mjs /tmp/base/dist var/acq-dev all-unmasked all-masked
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const [baseDist, setDir, ...lists] = process.argv.slice(2);
if (!baseDist || !setDir || lists.length === 0) throw new Error('usage: measure-acquisition.mjs <base dist> <set dir> <pairs name>...');
const root = resolve(setDir);
const here = resolve(dirname(new URL(import.meta.url).pathname), '..', 'dist');
const load = (dist, m) => import(join(resolve(dist), m));

const { FTA_SCORE, verificationMetrics } = await load(here, 'field-tools/metrics.js');
const { parsePairsCsv, resolvePairs } = await load(here, 'field-tools/pairs.js');
const pipelines = {};
for (const [name, dist] of [['before', baseDist], ['after', here]]) {
  const { BlazeFaceDetector } = await load(dist, 'pipeline/detector.js');
  const { OnnxEmbedder } = await load(dist, 'pipeline/embedder.js');
  const { PhotoEmbedder } = await load(dist, 'field-tools/photo-embedder.js');
  const quality = await load(dist, 'pipeline/quality.js');
  const detector = await BlazeFaceDetector.create({ modelPath: 'models/blazeface/blazeface_back_256.onnx', intraOpThreads: 1 });
  const embedder = await OnnxEmbedder.create('models/g2d/g2d.onnx', { intraOpThreads: 1 });
  const parts = quality.DEFAULT_QUALITY_PROFILES
    ? { detector, embedder, quality: quality.DEFAULT_QUALITY_PROFILES.photo }
    : { detector, embedder, qualityLimits: quality.DEFAULT_QUALITY_LIMITS };
  pipelines[name] = { photos: new PhotoEmbedder(parts), detector, embedder };
}

const dot = (a, b) => a.reduce((s, v, i) => s + v * b[i], 0);
const pct = (x) => (100 * x).toFixed(2);
const fnmrAt1e3 = (scores, labels) => {
  try {
    return verificationMetrics(scores, labels).fmr1000;
  } catch {
    return NaN;
  }
};

for (const list of lists) {
  const pairs = resolvePairs(parsePairsCsv(readFileSync(join(root, 'pairs', `${list}.csv`), 'utf8')), root);
  const images = [...new Set(pairs.flatMap((p) => [p.img1, p.img2]))];
  const out = {};
  for (const [name, p] of Object.entries(pipelines)) {
    const outcomes = await p.photos.embedAll(images.map((source) => ({ source })), 16);
    out[name] = new Map(images.map((img, k) => [img, outcomes[k]]));
  }
  const condition = (img) => relative(root, dirname(img));
  const groups = new Map([['all', pairs]]);
  for (const p of pairs) groups.set(condition(p.img2), [...(groups.get(condition(p.img2)) ?? []), p]);
  console.log(`\n## ${list}: ${pairs.length} pairs, ${images.length} images`);
  console.log('| condition | FTA before | FTA after | after: refused by | FNMR@FMR0.1% before | after | on pairs acquired before: before | after |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [name, group] of groups) {
    const probes = [...new Set(group.map((p) => p.img2))];
    const fta = (n) => probes.filter((i) => !out[n].get(i).ok).length / probes.length;
    const reasons = {};
    for (const i of probes) {
      const o = out.after.get(i);
      if (!o.ok) for (const r of o.reasons ?? [o.error]) reasons[r] = (reasons[r] ?? 0) + 1;
    }
    const score = (n, p) => {
      const a = out[n].get(p.img1);
      const b = out[n].get(p.img2);
      return a.ok && b.ok ? dot(a.embedding, b.embedding) : FTA_SCORE;
    };
    const labels = group.map((p) => p.label);
    const acquiredBefore = group.filter((p) => out.before.get(p.img1).ok && out.before.get(p.img2).ok);
    const accLabels = acquiredBefore.map((p) => p.label);
    console.log(
      `| ${name} | ${pct(fta('before'))}% | ${pct(fta('after'))}% | ${JSON.stringify(reasons)} | ` +
        `${pct(fnmrAt1e3(group.map((p) => score('before', p)), labels))}% | ${pct(fnmrAt1e3(group.map((p) => score('after', p)), labels))}% | ` +
        `${pct(fnmrAt1e3(acquiredBefore.map((p) => score('before', p)), accLabels))}% | ${pct(fnmrAt1e3(acquiredBefore.map((p) => score('after', p)), accLabels))}% |`,
    );
  }
}
for (const p of Object.values(pipelines)) {
  await p.detector.close();
  await p.embedder.close();
}
