import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Appliance, Core, qualityProfiles } from '../../../daemon/appliance.js';
import type { CalibrationReport } from '../../../daemon/commands/calibrate.js';
import { readIdentities } from '../../../daemon/commands/make-pairs.js';
import { PROBE_MASK_COLOUR } from '../../../daemon/commands/tool-options.js';
import { ConfigWatcher } from '../../../daemon/config-watcher.js';
import { createLogger } from '../../../daemon/logger.js';
import { main } from '../../../daemon/main.js';
import { PhotoEmbedder } from '../../../field-tools/photo-embedder.js';
import { probeComparisons } from '../../../field-tools/calibration.js';
import { loadConfigFile } from '../../../firmware-config/load.js';
import { readImageFile } from '../../../pipeline/image.js';
import { parseConfig as defaultConfig } from '../../../firmware-config/load.js';
import { runWithIo } from '../../helpers/command-io.js';
import { LFW } from '../../helpers/datasets.js';

const DEFAULT_THRESHOLD = defaultConfig({}).matching.threshold;

const ROOT = join(import.meta.dirname, '../../..');

function configJson(dataDir: string): Record<string, unknown> {
  return {
    dataDir,
    logLevel: 'warn',
    model: { detector: join(ROOT, 'models/blazeface/blazeface_back_256.onnx'), embedder: join(ROOT, 'models/fr_feature/fr_feature.onnx') },
    api: { enabled: false },
    metrics: { port: 0 }, // a busy 9464 would fail the all-or-nothing start
  };
}

const cli = (args: string[]) => runWithIo((io) => main(args, io));

describe('maskgate calibrate: options and empty galleries', () => {
  let dir: string;
  let configPath: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mg-cal-empty-'));
    configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(configJson(join(dir, 'data'))));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('needs exactly one target, in range', async () => {
    expect((await cli(['calibrate', '--config', configPath])).code).toBe(2);
    expect((await cli(['calibrate', '--target-fmr', '0.01', '--target-fpir', '0.1', '--config', configPath])).code).toBe(2);
    const bad = await cli(['calibrate', '--target-fmr', '2', '--config', configPath]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--target-fmr must be a number in \(0, 0.5\]/);
  });

  it('needs a config file to write to, unless it is a dry run', async () => {
    const r = await cli(['calibrate', '--target-fmr', '0.01']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give --config <file> \(or --dry-run\)/);
  });

  it('cannot convert an FPIR target without a gallery size', async () => {
    const r = await cli(['calibrate', '--target-fpir', '0.01', '--config', configPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[gallery_empty\]/);
  });

  it('says so when there is nothing to compare', async () => {
    const r = await cli(['calibrate', '--target-fmr', '0.01', '--config', configPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/\[no_impostor_comparisons\]/);
    expect(loadConfigFile(configPath).config.matching.calibration).toBeUndefined();
  });

  it('uses the demo faces by default and leaves out the ones that are enrolled', async () => {
    // Enrol two faces of a demo photo, cropped differently from calibrate's own crops.
    const core = await Core.open(loadConfigFile(configPath).config, createLogger('warn'));
    let enrolled = 0;
    try {
      const photo = await readImageFile(join(ROOT, 'demo-assets/sample1.jpg'));
      for (const d of (await core.detector.detectWithPadding(photo)).slice(0, 2)) {
        const side = Math.round(Math.max(d.box.width, d.box.height) * 2);
        const left = Math.max(0, Math.round(d.box.x + d.box.width / 2 - side / 2));
        const top = Math.max(0, Math.round(d.box.y + d.box.height / 2 - side / 2));
        const crop = await sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } })
          .extract({ left, top, width: Math.min(side, photo.width - left), height: Math.min(side, photo.height - top) })
          .jpeg({ quality: 90 })
          .toBuffer();
        const person = core.gallery.createPerson(`demo face ${enrolled + 1}`);
        const ok = await core.gallery.enrolPhoto(person.id, crop, { force: true }).then(() => true, () => false);
        if (ok) enrolled++;
      }
    } finally {
      await core.close();
    }
    expect(enrolled).toBeGreaterThan(0);
    const r = await cli(['calibrate', '--target-fmr', '0.01', '--dry-run', '--json', '--config', configPath]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as CalibrationReport;
    expect(report.strangers.source).toBe('the bundled demo photos (a tiny default set)');
    expect(report.strangers.skippedAsEnrolled).toBe(enrolled);
    expect(report.impostorSources.maskedStrangers).toBe(report.strangers.usable * enrolled);
    expect(report.warnings.map((w) => w.code)).toContain('too_few_impostor_comparisons');
    expect(report.written).toBeNull();
    // Far too few comparisons per condition for the target: reported, not put in force.
    expect(report.byCondition.masked).toMatchObject({ impostorComparisons: report.impostorSources.maskedStrangers, sufficient: false });
    expect(report.byCondition.unmasked?.sufficient ?? false).toBe(false);
  });

  it('removes per-condition thresholds of an earlier calibration when this one has none to write', async () => {
    const before = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(configPath, JSON.stringify({ ...before, matching: { threshold: 0.35, thresholds: { masked: 0.2, unmasked: 0.3 } } }));
    const r = await cli(['calibrate', '--target-fmr', '0.01', '--config', configPath]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/masked probes\s+threshold .*NOT USED: fewer than the 299 comparisons the target needs/);
    expect(r.stdout).toMatch(/written\s+matching.threshold, matching.calibration in/);
    const matching = loadConfigFile(configPath).config.matching;
    expect(matching.thresholds).toBeUndefined();
    expect(matching.calibration?.byCondition).toBeUndefined();
    expect(matching.threshold).not.toBe(0.35);
  });
});

describe.skipIf(!existsSync(LFW))('maskgate calibrate on an LFW gallery', () => {
  const TARGET_FMR = 0.01;
  let dir: string;
  let configPath: string;
  let appliance: Appliance;
  let heldOut: string[];
  let calibrationList: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mg-cal-'));
    configPath = join(dir, 'config.json');
    writeFileSync(configPath, `${JSON.stringify(configJson(join(dir, 'data')), null, 2)}\n`);
    appliance = await Appliance.create(loadConfigFile(configPath).config, createLogger('warn'));
    // Sorted identities, so the split is the same on every run: 20 people enrolled with two
    // photos each; 120 other people as strangers, alternately for calibration and held out.
    const identities = readIdentities(LFW);
    const enrolled = identities.filter((i) => i.images.length >= 2).slice(0, 20);
    const enrolledNames = new Set(enrolled.map((i) => i.name));
    for (const person of enrolled) {
      const { id } = appliance.gallery.createPerson(person.name);
      for (const image of person.images.slice(0, 2)) {
        await appliance.gallery.enrolPhoto(id, readFileSync(join(LFW, image)), { force: true }).catch(() => undefined);
      }
    }
    const strangers = identities.filter((i) => !enrolledNames.has(i.name)).slice(0, 120).map((i) => join(LFW, i.images[0]!));
    calibrationList = join(dir, 'strangers.txt');
    writeFileSync(calibrationList, strangers.filter((_, k) => k % 2 === 0).join('\n'));
    heldOut = strangers.filter((_, k) => k % 2 === 1);
  });
  afterAll(async () => {
    await appliance?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('meets the FMR target on held-out strangers, writes the config, and the running appliance follows', async () => {
    const reloaded = new Promise<void>((resolveReload) => {
      const watcher = new ConfigWatcher(
        configPath,
        () => {
          appliance.applyConfig(loadConfigFile(configPath).config);
          watcher.stop();
          resolveReload();
        },
        { debounceMs: 50 },
      ).start();
    });
    expect(appliance.matching.threshold).toBe(DEFAULT_THRESHOLD);

    const r = await cli(['calibrate', '--target-fmr', String(TARGET_FMR), '--impostors', calibrationList, '--config', configPath, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as CalibrationReport;
    expect(report.galleryPeople).toBe(20);
    expect(report.galleryTemplates).toBeGreaterThanOrEqual(36);
    expect(report.impostorSources.galleryCrossPerson).toBeGreaterThan(600);
    expect(report.strangers.photos).toBe(60);
    expect(report.strangers.usable).toBeGreaterThan(30);
    expect(report.impostorSources.maskedStrangers).toBe(report.strangers.usable * report.galleryTemplates);
    expect(report.empiricalFmr).toBeLessThanOrEqual(TARGET_FMR);
    expect(report.fmrUpperBound95).toBeGreaterThan(report.empiricalFmr);
    expect(report.genuineSource).toBe('gallery-same-person');
    expect(report.expectedFnmr).not.toBeNull();
    expect(report.warnings.map((w) => w.code)).not.toContain('too_few_impostor_comparisons');
    expect(report.targetFpir).toBeCloseTo(1 - (1 - TARGET_FMR) ** report.galleryTemplates, 12);
    // Each probe condition's own threshold: masked strangers and the gallery's unmasked pairs.
    expect(report.byCondition.masked!.impostorComparisons).toBe(report.impostorSources.maskedStrangers);
    expect(report.byCondition.unmasked!.impostorComparisons).toBe(report.impostorSources.galleryCrossPerson);
    expect(Math.min(report.byCondition.masked!.threshold, report.byCondition.unmasked!.threshold)).toBeLessThanOrEqual(report.threshold);
    // Both conditions have the comparisons the target needs: both are put in force.
    expect(report.byCondition.masked!.sufficient && report.byCondition.unmasked!.sufficient).toBe(true);

    // Held-out masked strangers against the same gallery: measured FMR within the reported bound.
    const photos = new PhotoEmbedder({
      detector: appliance.core.detector,
      embedder: appliance.core.embedder,
      quality: qualityProfiles(loadConfigFile(configPath).config).photo,
    });
    const outcomes = await photos.embedAll(heldOut.map((source) => ({ source, maskColour: PROBE_MASK_COLOUR })), 8);
    const probes = outcomes.flatMap((o) => (o.ok ? [o.embedding] : []));
    const templates = [...appliance.gallery.currentTemplates()].map((t) => t.embedding);
    const scores = probeComparisons(probes, templates);
    expect(scores.length).toBeGreaterThan(1000);
    const heldOutFmr = scores.filter((s) => s >= report.threshold).length / scores.length;
    expect(heldOutFmr).toBeLessThanOrEqual(report.fmrUpperBound95);

    // The config file carries the threshold and the record.
    const written = loadConfigFile(configPath).config.matching;
    expect(written.threshold).toBe(report.threshold);
    expect(written.calibration).toMatchObject({
      targetFmr: TARGET_FMR,
      galleryTemplates: report.galleryTemplates,
      impostorComparisons: report.impostorComparisons,
      genuineComparisons: report.genuineComparisons,
      expectedFnmr: report.expectedFnmr,
      fmrUpperBound95: report.fmrUpperBound95,
      modelId: appliance.core.embedder.modelId,
    });
    expect(Date.parse(written.calibration!.calibratedAt)).not.toBeNaN();
    expect(written.thresholds).toEqual({ masked: report.byCondition.masked!.threshold, unmasked: report.byCondition.unmasked!.threshold });
    expect(written.calibration!.byCondition!.masked).toMatchObject({ threshold: written.thresholds!.masked, impostorComparisons: report.impostorSources.maskedStrangers });

    // Held-out masked strangers at the masked threshold: within that condition's reported bound.
    const maskedFmr = scores.filter((s) => s >= written.thresholds!.masked!).length / scores.length;
    expect(maskedFmr).toBeLessThanOrEqual(report.byCondition.masked!.fmrUpperBound95);

    await reloaded;
    expect(appliance.matching.threshold).toBe(report.threshold);
    expect(appliance.matching.thresholds).toEqual(written.thresholds);
  });

  it('falls back to the demo faces, warns how few comparisons they give, and a dry run writes nothing', async () => {
    const before = readFileSync(configPath, 'utf8');
    const r = await cli(['calibrate', '--target-fmr', '0.001', '--dry-run', '--config', configPath]);
    expect(r.code, r.stderr).toBe(0);
    const strangers = /strangers vs gallery\s+(\d+)\s+\((\d+) usable of (\d+) photos from the bundled demo photos \(a tiny default set\)/.exec(r.stdout);
    expect(strangers, r.stdout).not.toBeNull();
    const [comparisons, usable, photos] = strangers!.slice(1).map(Number) as [number, number, number];
    expect(photos).toBeGreaterThanOrEqual(6); // the six sample photos show more faces than that
    expect(usable).toBeGreaterThan(0);
    expect(comparisons % usable).toBe(0); // each usable stranger against every template
    expect(r.stdout).toMatch(/WARNING.*at least 2995 are needed \(rule of three\)/);
    expect(r.stdout).toMatch(/dry run\s+config not changed/);
    expect(readFileSync(configPath, 'utf8')).toBe(before);
  });
});
