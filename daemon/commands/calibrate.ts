// `maskgate calibrate`: sets matching.threshold from a false-match target for the installed
// model and gallery. Impostor comparisons come from the gallery itself (every cross-person
// template pair) and from masked faces of people who are not enrolled (a folder or list of
// photos, masked synthetically, or the few faces of the bundled demo photos) compared with
// every template. The threshold, the measured FMR with its 95% upper bound, the FPIR it implies
// for the gallery size and the expected FNMR are shown; the config file is updated atomically
// and a running daemon picks it up (it watches its config file; --reload-pid also signals it).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import sharp from 'sharp';
import {
  calibrateCondition,
  calibrateThreshold,
  fmrFromFpir,
  fpirFromFmr,
  galleryComparisons,
  minimumComparisonsFor,
  normalizedRows,
  probeComparisons,
  type CalibrationMethod,
  type CalibrationResult,
  type ConditionCalibration,
  type LabelledEmbedding,
} from '../../field-tools/calibration.js';
import { updateConfigFile } from '../../firmware-config/load.js';
import { PACKAGE_ROOT } from '../../firmware-config/package-root.js';
import { FTA_SCORE } from '../../field-tools/metrics.js';
import { parsePairsCsv, resolvePairs } from '../../field-tools/pairs.js';
import type { CalibrationRecord, ConditionCalibrationRecord, ConditionThresholdsConfig } from '../../firmware-config/schema.js';
import { isImageFileName, readImageFile } from '../../pipeline/image.js';
import { dot } from '../../pipeline/vector.js';
import type { RgbImage } from '../../pipeline/types.js';
import { portraitRegion } from '../../synthetic/enrolment-photo.js';
import type { Core } from '../appliance.js';
import type { PhotoEmbedder, PhotoJob } from '../../field-tools/photo-embedder.js';
import { CommandError, UsageError, type Command } from './command.js';
import { calibratePad } from './calibrate-pad.js';
import { CONFIG_OPTION, loadConfigAndLogger, parseOptions } from './shared.js';
import { DEFAULT_BATCH, integerOption, maskColours, maskModeOption, openPhotoEmbedder, rateOption, type MaskMode } from './tool-options.js';

/**
 * A stranger photo whose unmasked face scores this high against a template is taken to be
 * the very photo (or person) that was enrolled, and is left out of the impostor set: counting
 * it would inflate the impostor tail. Different photos of different people stay far below.
 */
export const ENROLLED_FACE_SCORE = 0.9;

/** Where the bundled demo photos are, if this installation ships them. */
function demoAssetsDir(): string | null {
  const dir = join(PACKAGE_ROOT, 'demo-assets');
  return existsSync(dir) ? dir : null;
}

/** Image files under `dir`, recursively, sorted so a run is reproducible. */
export function listImages(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && isImageFileName(entry.name)) out.push(path);
    }
  };
  walk(dir);
  return out.sort();
}

/** --impostors: a folder of photos (searched recursively) or a text file with one path per line. */
function impostorSources(path: string): string[] {
  const abs = resolve(path);
  let isDir: boolean;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    throw new CommandError('impostors_missing', `--impostors ${abs} does not exist`);
  }
  if (isDir) return listImages(abs);
  return readFileSync(abs, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => resolve(dirname(abs), l));
}

/** Every face of the bundled demo photos, cut out as a portrait (the photos show groups). */
async function demoFaces(core: Core): Promise<{ label: string; image: RgbImage }[]> {
  const dir = demoAssetsDir();
  if (!dir) return [];
  const faces: { label: string; image: RgbImage }[] = [];
  for (const file of listImages(dir)) {
    const photo = await readImageFile(file);
    const detections = await core.detector.detectWithPadding(photo);
    for (const [k, d] of detections.entries()) {
      const region = portraitRegion(photo, d.box);
      if (region.width < 32 || region.height < 32) continue;
      const { data, info } = await sharp(photo.data, { raw: { width: photo.width, height: photo.height, channels: 3 } })
        .extract(region)
        .raw()
        .toBuffer({ resolveWithObject: true });
      faces.push({ label: `${file} face ${k + 1}`, image: { width: info.width, height: info.height, data: new Uint8Array(data) } });
    }
  }
  return faces;
}

export interface StrangerSet {
  readonly source: string;
  readonly photos: number;
  /** Masked (or as-given) embeddings of the usable strangers. */
  readonly embeddings: Float32Array[];
  readonly failed: Readonly<Record<string, number>>;
  readonly skippedAsEnrolled: number;
}

/**
 * Embeds each stranger photo as given (to spot enrolled faces) and, under --mask probe, masked
 * (what the comparisons use: the appliance sees masked visitors).
 */
async function embedStrangers(
  photos: PhotoEmbedder,
  items: readonly { label: string; source: string | RgbImage }[],
  source: string,
  mask: MaskMode,
  templates: readonly Float32Array[],
  batch: number,
): Promise<StrangerSet> {
  const colour = maskColours(mask).img2;
  const jobs: PhotoJob[] = items.flatMap((item) =>
    colour ? [{ source: item.source }, { source: item.source, maskColour: colour }] : [{ source: item.source }],
  );
  const outcomes = await photos.embedAll(jobs, batch);
  const per = colour ? 2 : 1;
  const rows = normalizedRows(templates);
  const failed: Record<string, number> = {};
  const embeddings: Float32Array[] = [];
  let skippedAsEnrolled = 0;
  for (let k = 0; k < items.length; k++) {
    const plain = outcomes[k * per]!;
    const used = outcomes[k * per + per - 1]!;
    if (plain.ok && rows.some((t) => dot(t, plain.embedding) >= ENROLLED_FACE_SCORE)) {
      skippedAsEnrolled++;
      continue;
    }
    if (!used.ok) {
      failed[used.error] = (failed[used.error] ?? 0) + 1;
      continue;
    }
    embeddings.push(used.embedding);
  }
  return { source, photos: items.length, embeddings, failed, skippedAsEnrolled };
}

export interface CalibrationReport extends CalibrationResult {
  readonly modelId: string;
  readonly galleryTemplates: number;
  readonly galleryPeople: number;
  /** N of FPIR = 1 - (1 - FMR)^N. */
  readonly fpirGallerySize: number | null;
  readonly targetFpir: number | null;
  /** FPIR implied by the measured FMR and by its upper bound, for N. */
  readonly expectedFpir: number | null;
  readonly fpirUpperBound95: number | null;
  readonly impostorSources: {
    readonly galleryCrossPerson: number;
    readonly gallerySampledEvery: number;
    readonly maskedStrangers: number;
    readonly pairsFile: number;
  };
  readonly strangers: Omit<StrangerSet, 'embeddings'> & { readonly usable: number };
  readonly genuineSource: 'pairs-file' | 'gallery-same-person' | 'none';
  readonly genuineFta: number;
  readonly previousThreshold: number;
  readonly written: string | null;
  readonly record: CalibrationRecord;
  /**
   * The threshold each probe condition alone needs for the target: masked probes (masked
   * strangers and pairs vs the gallery) and unmasked ones (the gallery's cross-person pairs, and
   * strangers as given under --mask none) have different impostor score distributions. Those
   * with enough comparisons (`sufficient`) are written to matching.thresholds, which decisions
   * use by the track's mask flag; the pooled threshold stays matching.threshold.
   */
  readonly byCondition: { readonly masked: ConditionCalibration | null; readonly unmasked: ConditionCalibration | null };
}

/** The per-condition thresholds calibration puts in force: those of conditions with enough comparisons. */
export function conditionThresholds(byCondition: CalibrationReport['byCondition']): ConditionThresholdsConfig | null {
  const out: { masked?: number; unmasked?: number } = {};
  for (const c of ['masked', 'unmasked'] as const) {
    const t = byCondition[c];
    if (t?.sufficient) out[c] = t.threshold;
  }
  return Object.keys(out).length > 0 ? out : null;
}

/** The evidence behind the written per-condition thresholds, for the calibration record. */
function conditionRecords(byCondition: CalibrationReport['byCondition']): NonNullable<CalibrationRecord['byCondition']> {
  const out: { masked?: ConditionCalibrationRecord; unmasked?: ConditionCalibrationRecord } = {};
  for (const c of ['masked', 'unmasked'] as const) {
    const t = byCondition[c];
    if (t?.sufficient) out[c] = { threshold: t.threshold, impostorComparisons: t.impostorComparisons, empiricalFmr: t.empiricalFmr, fmrUpperBound95: t.fmrUpperBound95 };
  }
  return out;
}

const writtenConditions = (byCondition: CalibrationReport['byCondition']): string => Object.keys(conditionThresholds(byCondition) ?? {}).join(' and ');

const sci = (v: number | null): string => (v === null ? 'n/a' : v === 0 ? '0' : v.toExponential(2));

export function formatCalibration(r: CalibrationReport): string {
  const s = r.impostorSources;
  const lines = [
    `model                 ${r.modelId}`,
    `gallery               ${r.galleryPeople} people, ${r.galleryTemplates} templates` +
      (r.fpirGallerySize !== null && r.fpirGallerySize !== r.galleryTemplates ? `  (FPIR computed for N = ${r.fpirGallerySize})` : ''),
    `impostor comparisons  ${r.impostorComparisons}`,
    `  gallery, different people (unmasked)   ${s.galleryCrossPerson}${s.gallerySampledEvery > 1 ? ` (every ${s.gallerySampledEvery}th pair)` : ''}`,
    `  strangers vs gallery                   ${s.maskedStrangers}  (${r.strangers.usable} usable of ${r.strangers.photos} photos from ${r.strangers.source}` +
      `${r.strangers.skippedAsEnrolled ? `; ${r.strangers.skippedAsEnrolled} left out as enrolled` : ''}` +
      `${Object.keys(r.strangers.failed).length ? `; failed: ${Object.entries(r.strangers.failed).map(([c, n]) => `${c} ${n}`).join(', ')}` : ''})`,
    ...(s.pairsFile ? [`  impostor pairs of --genuine-pairs file  ${s.pairsFile}`] : []),
    `genuine comparisons   ${r.genuineComparisons}  (${
      r.genuineSource === 'pairs-file'
        ? `pairs file${r.genuineFta ? `, ${r.genuineFta} without a usable face counted as non-matches` : ''}`
        : r.genuineSource === 'gallery-same-person'
          ? 'gallery, same person, both unmasked: optimistic for masked visitors'
          : 'none'
    })`,
    `target                FMR ${sci(r.targetFmr)} per comparison` +
      (r.targetFpir !== null ? `  =  FPIR ${sci(r.targetFpir)} per search over N = ${r.fpirGallerySize}` : ''),
    `threshold             ${r.threshold.toFixed(6)}  (${r.method}; was ${r.previousThreshold})`,
    `measured FMR          ${r.falseMatches}/${r.impostorComparisons} = ${sci(r.empiricalFmr)}   95% upper bound ${sci(r.fmrUpperBound95)}`,
    ...(r.expectedFpir !== null ? [`implied FPIR          ${sci(r.expectedFpir)}   95% upper bound ${sci(r.fpirUpperBound95)}  (N = ${r.fpirGallerySize})`] : []),
    `expected FNMR         ${r.expectedFnmr === null ? 'unknown (no genuine comparisons)' : r.expectedFnmr.toFixed(4)}`,
    ...(['masked', 'unmasked'] as const).flatMap((c) => {
      const t = r.byCondition[c];
      if (!t) return [`${`${c} probes`.padEnd(22)}no impostor comparisons: decisions flagged ${c} use the threshold above`];
      return [
        `${`${c} probes`.padEnd(22)}threshold ${t.threshold.toFixed(6)}  (measured FMR ${sci(t.empiricalFmr)} on ${t.impostorComparisons} impostor comparisons; ` +
          `95% upper bound ${sci(t.fmrUpperBound95)})` +
          (t.sufficient ? '' : `  NOT USED: fewer than the ${minimumComparisonsFor(r.targetFmr)} comparisons the target needs`),
      ];
    }),
    ...r.warnings.map((w) => `WARNING               ${w.message}`),
    r.written
      ? `written               matching.threshold, ${writtenConditions(r.byCondition) ? `matching.thresholds (${writtenConditions(r.byCondition)}), ` : ''}matching.calibration in ${r.written}`
      : 'dry run               config not changed',
  ];
  return `${lines.join('\n')}\n`;
}

export const calibrateCommand: Command = {
  name: 'calibrate',
  summary: 'Set matching.threshold from a target false match rate (FMR per comparison or FPIR per search) for this model and gallery',
  usage:
    'maskgate calibrate (--target-fmr <rate> | --target-fpir <rate>) [--gallery-size <N>] [--impostors <dir-or-list>] ' +
    '[--genuine-pairs <csv> [--root <dir>]] [--mask probe|none] [--conservative] [--max-comparisons N] [--batch N] ' +
    '[--config <file>] [--dry-run] [--reload-pid <pid>] [--json]\n' +
    '       maskgate calibrate --pad --list <csv: path,label[,attack_type]> (--target-apcer <rate> | --target-bpcer <rate>) [--conservative] [--config <file>] [--dry-run] [--json]',
  async run(args, io) {
    if (args.includes('--pad')) return calibratePad(args, io);
    const { values } = parseOptions(args, {
      ...CONFIG_OPTION,
      'target-fmr': { type: 'string' },
      'target-fpir': { type: 'string' },
      'gallery-size': { type: 'string' },
      impostors: { type: 'string' },
      'genuine-pairs': { type: 'string' },
      root: { type: 'string' },
      mask: { type: 'string' },
      conservative: { type: 'boolean' },
      'max-comparisons': { type: 'string' },
      batch: { type: 'string' },
      'dry-run': { type: 'boolean' },
      'reload-pid': { type: 'string' },
      json: { type: 'boolean' },
    });
    if ((values['target-fmr'] === undefined) === (values['target-fpir'] === undefined)) {
      throw new UsageError('give exactly one of --target-fmr (per comparison) or --target-fpir (per search)');
    }
    const targetFmrOption = values['target-fmr'] !== undefined ? rateOption('target-fmr', values['target-fmr'], 0.5) : null;
    const targetFpirOption = values['target-fpir'] !== undefined ? rateOption('target-fpir', values['target-fpir'], 0.99) : null;
    const gallerySizeOption = values['gallery-size'] !== undefined ? integerOption('gallery-size', values['gallery-size'], 1, 1, 100_000_000) : null;
    const mask = maskModeOption(values.mask, 'probe', ['probe', 'none']);
    const maxComparisons = integerOption('max-comparisons', values['max-comparisons'], 5_000_000, 1000, 50_000_000);
    const batch = integerOption('batch', values.batch, DEFAULT_BATCH, 1, 256);
    const reloadPid = values['reload-pid'] !== undefined ? integerOption('reload-pid', values['reload-pid'], 0, 2, 2 ** 31 - 1) : null;
    const method: CalibrationMethod = values.conservative ? 'upper-bound-95' : 'empirical';
    const dryRun = values['dry-run'] ?? false;

    const loaded = loadConfigAndLogger(values.config, 'warn');
    if (!loaded.path && !dryRun) {
      throw new UsageError('calibrate writes the threshold into the config file: give --config <file> (or --dry-run)');
    }
    const { core, photos } = await openPhotoEmbedder(loaded.config, loaded.logger);
    try {
      const modelId = core.embedder.modelId;
      const templates: LabelledEmbedding[] = [...core.gallery.currentTemplates()];
      const people = new Set(templates.map((t) => t.personId)).size;
      const templateVectors = templates.map((t) => t.embedding);
      const fpirN = gallerySizeOption ?? (templates.length > 0 ? templates.length : null);
      if (targetFpirOption !== null && fpirN === null) {
        throw new CommandError('gallery_empty', 'the gallery is empty: give --gallery-size N to convert the FPIR target, or --target-fmr');
      }
      const targetFmr = targetFpirOption !== null ? fmrFromFpir(targetFpirOption, fpirN!) : targetFmrOption!;
      const targetFpir = targetFpirOption ?? (fpirN !== null ? fpirFromFmr(targetFmr, fpirN) : null);

      const note = (text: string): void => {
        if (!values.json) io.stderr.write(`calibrate: ${text}\n`);
      };
      const gallery = galleryComparisons(templates, maxComparisons);
      note(`${gallery.impostorScores.length} impostor and ${gallery.genuineScores.length} genuine comparisons within the gallery`);

      // With no template there is nothing to compare a stranger with: skip the embedding work.
      const items =
        templates.length === 0
          ? []
          : values.impostors
            ? impostorSources(values.impostors).map((path) => ({ label: path, source: path }))
            : (await demoFaces(core)).map((f) => ({ label: f.label, source: f.image }));
      const sourceName = values.impostors
        ? resolve(values.impostors)
        : items.length > 0 || templates.length === 0
          ? 'the bundled demo photos (a tiny default set)'
          : 'nowhere: the bundled demo photos were not found; give --impostors';
      note(`embedding ${items.length} stranger photos${mask === 'probe' ? ' with synthetic masks' : ''}`);
      const strangers = await embedStrangers(photos, items, sourceName, mask, templateVectors, batch);
      const strangerScores = probeComparisons(strangers.embeddings, templateVectors);

      let pairImpostor: number[] = [];
      let genuine: ArrayLike<number> = gallery.genuineScores;
      let genuineSource: CalibrationReport['genuineSource'] = gallery.genuineScores.length > 0 ? 'gallery-same-person' : 'none';
      let genuineFta = 0;
      if (values['genuine-pairs']) {
        const file = resolve(values['genuine-pairs']);
        const pairs = resolvePairs(parsePairsCsv(readFileSync(file, 'utf8')), resolve(values.root ?? dirname(file)));
        const colours = maskColours(mask);
        note(`embedding the ${pairs.length} pairs of ${file}`);
        const outcomes = await photos.embedAll(
          pairs.flatMap((p) => [
            { source: p.img1, maskColour: colours.img1 },
            { source: p.img2, maskColour: colours.img2 },
          ]),
          batch,
        );
        const scores = pairs.map((_, k) => {
          const a = outcomes[2 * k]!;
          const b = outcomes[2 * k + 1]!;
          return a.ok && b.ok ? dot(a.embedding, b.embedding) : FTA_SCORE;
        });
        genuine = scores.filter((_, k) => pairs[k]!.label === 1);
        genuineFta = (genuine as number[]).filter((s) => s === FTA_SCORE).length;
        // An impostor pair without a usable face is no comparison at all: it is left out.
        pairImpostor = scores.filter((s, k) => pairs[k]!.label === 0 && s !== FTA_SCORE);
        genuineSource = 'pairs-file';
      }

      const impostorScores = new Float64Array(gallery.impostorScores.length + strangerScores.length + pairImpostor.length);
      impostorScores.set(gallery.impostorScores, 0);
      impostorScores.set(strangerScores, gallery.impostorScores.length);
      impostorScores.set(pairImpostor, gallery.impostorScores.length + strangerScores.length);
      const result = calibrateThreshold({ impostorScores, genuineScores: genuine, targetFmr, method });
      // Under --mask probe the strangers and the pairs file's probes wear masks; otherwise every
      // comparison is of unmasked faces.
      const masked = mask === 'probe' ? [...strangerScores, ...pairImpostor] : [];
      const byCondition: CalibrationReport['byCondition'] = {
        masked: calibrateCondition(masked, targetFmr, method),
        unmasked: calibrateCondition(mask === 'probe' ? gallery.impostorScores : impostorScores, targetFmr, method),
      };
      const thresholds = conditionThresholds(byCondition);

      const record: CalibrationRecord = {
        method:
          `${method}: ${method === 'empirical' ? 'smallest threshold with measured FMR' : 'smallest threshold with 95% upper bound on FMR'} ` +
          `<= target; impostors: gallery cross-person, ${mask === 'probe' ? 'masked ' : ''}strangers vs gallery` +
          `${pairImpostor.length ? ', pairs file' : ''}`,
        targetFmr,
        ...(targetFpir !== null ? { targetFpir } : {}),
        galleryTemplates: templates.length,
        impostorComparisons: result.impostorComparisons,
        genuineComparisons: result.genuineComparisons,
        expectedFnmr: result.expectedFnmr,
        fmrUpperBound95: result.fmrUpperBound95,
        empiricalFmr: result.empiricalFmr,
        ...(fpirN !== null ? { fpirGallerySize: fpirN } : {}),
        modelId,
        calibratedAt: new Date().toISOString(),
        ...(thresholds ? { byCondition: conditionRecords(byCondition) } : {}),
      };
      let written: string | null = null;
      if (!dryRun) {
        updateConfigFile(loaded.path!, (raw) => {
          // Per-condition thresholds of an earlier calibration (another model, another gallery)
          // must not outlive it: they are replaced, or removed when this run has none.
          const { thresholds: _earlier, ...matching } = (raw['matching'] ?? {}) as Record<string, unknown>;
          raw['matching'] = { ...matching, threshold: result.threshold, ...(thresholds ? { thresholds } : {}), calibration: record };
        });
        written = loaded.path;
      }
      const report: CalibrationReport = {
        ...result,
        modelId,
        galleryTemplates: templates.length,
        galleryPeople: people,
        fpirGallerySize: fpirN,
        targetFpir,
        expectedFpir: fpirN !== null ? fpirFromFmr(result.empiricalFmr, fpirN) : null,
        fpirUpperBound95: fpirN !== null ? fpirFromFmr(Math.min(result.fmrUpperBound95, 1 - 1e-16), fpirN) : null,
        impostorSources: {
          galleryCrossPerson: gallery.impostorScores.length,
          gallerySampledEvery: gallery.stride,
          maskedStrangers: strangerScores.length,
          pairsFile: pairImpostor.length,
        },
        strangers: {
          source: strangers.source,
          photos: strangers.photos,
          usable: strangers.embeddings.length,
          failed: strangers.failed,
          skippedAsEnrolled: strangers.skippedAsEnrolled,
        },
        genuineSource,
        genuineFta,
        previousThreshold: loaded.config.matching.threshold,
        written,
        record,
        byCondition,
      };
      io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatCalibration(report));
      if (written && reloadPid !== null) {
        try {
          process.kill(reloadPid, 'SIGHUP');
          note(`sent SIGHUP to ${reloadPid}`);
        } catch (err) {
          io.stderr.write(`calibrate: could not signal pid ${reloadPid} (${(err as NodeJS.ErrnoException).code}); the daemon still reloads when it sees the file change\n`);
        }
      }
      return 0;
    } finally {
      await core.close();
    }
  },
};
