#!/usr/bin/env node
// Does the door's quality gate refuse real masked faces for reasons a mask causes, and would the
// mask flag change that? On MFR2 (real masks; 160x160 crops, so detected with padding, as in
// docs/detection-alignment.md): the door profile's refusals with the mask unknown (what the camera
// does today: each limit the looser of the masked and unmasked ones), with the mask classifier's
// flag, and with the true label. A refused face counts as usable when it would have matched:
// its best cosine with the same person's unmasked photos reaches the default threshold.
// Args: [mfr2 dir] [threshold]. Run after npm run build.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
const root = resolve(import.meta.dirname, '..');
const { Core, qualityProfiles } = await import(join(root, 'dist/daemon/appliance.js'));
const { parseConfig } = await import(join(root, 'dist/firmware-config/load.js'));
const { gateQuality } = await import(join(root, 'dist/pipeline/quality.js'));
const { OnnxMaskClassifier } = await import(join(root, 'dist/pipeline/mask-classifier.js'));
const { readImageFile } = await import(join(root, 'dist/pipeline/image.js'));
const { dot } = await import(join(root, 'dist/pipeline/vector.js'));
const { pino } = await import('pino');

const dir = resolve(process.argv[2] ?? join(root, '../shared/datasets/mfr2'));
const dataDir = mkdtempSync(join(tmpdir(), 'mg-mask-quality-'));
const config = parseConfig({ dataDir, api: { enabled: false }, metrics: { enabled: false } });
const threshold = Number(process.argv[3] ?? config.matching.threshold);
const core = await Core.open(config, pino({ level: 'silent' }));
const maskflag = await OnnxMaskClassifier.create(join(root, config.model.maskClassifier));
const door = qualityProfiles(config).door;
const rows = readFileSync(join(dir, 'manifest.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
const faces = [];
for (const [path, identity, masked] of rows) {
  const image = await readImageFile(join(dir, path));
  const [detection] = await core.detector.detectWithPadding(image);
  if (!detection) continue;
  const aligned = (await import(join(root, 'dist/pipeline/align.js'))).alignFace(image, detection);
  const [flag] = await maskflag.classify([aligned]);
  const [embedding] = await core.embedder.embed([aligned]);
  const verdict = (m) => gateQuality(image, detection, door, m, aligned).report.reasons;
  faces.push({ path, identity, masked: masked === '1', flag, embedding, refused: { unknown: verdict(null), flag: verdict(flag), truth: verdict(masked === '1') } });
}
const usable = (f) => faces.some((g) => g.identity === f.identity && !g.masked && g !== f && dot(g.embedding, f.embedding) >= threshold);
const report = {};
for (const kind of ['masked', 'unmasked']) {
  const set = faces.filter((f) => f.masked === (kind === 'masked'));
  report[kind] = { detected: set.length, usable: set.filter(usable).length, flagCorrect: set.filter((f) => f.flag === f.masked).length };
  for (const mode of ['unknown', 'flag', 'truth']) {
    const refused = set.filter((f) => f.refused[mode].length > 0);
    const reasons = {};
    for (const f of refused) for (const r of f.refused[mode]) reasons[r] = (reasons[r] ?? 0) + 1;
    report[kind][mode] = { refused: refused.length, refusedUsable: refused.filter(usable).length, reasons };
  }
}
console.log(JSON.stringify({ dataset: dir, threshold, report }, null, 1));
await core.close();
rmSync(dataDir, { recursive: true, force: true });
