// `maskgate eval`: verification metrics of the installed model on a pairs CSV, with optional
// synthetic masks so that a field technician can run the development protocols (UMR-MP, MR-MP)
// on their own unmasked photos. Each distinct image (and mask variant) is embedded once. A pair
// with a failure to acquire on either side counts as a non-match and is reported, never dropped.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import {
  acquisitionReport,
  qualityCurves,
  type AcquiredImage,
  type AcquisitionCounts,
  type AcquisitionReport,
  type GenuineComparison,
  type QualityCurve,
} from '../../field-tools/acquisition.js';
import {
  FTA_SCORE,
  MetricsError,
  rateCurve,
  rocPoints,
  verificationMetrics,
  type VerificationMetrics,
} from '../../field-tools/metrics.js';
import { clopperPearsonUpper } from '../../field-tools/calibration.js';
import { parsePairsCsv, resolvePairs, type VerificationPair } from '../../field-tools/pairs.js';
import { errorRejectSvg, rocSvg, scoreHistogramSvg, svgToPng } from '../../field-tools/plots.js';
import type { PhotoOutcome } from '../../field-tools/photo-embedder.js';
import { embedAlignedCrops, type CropOutcome } from '../../field-tools/aligned-crops.js';
import { ALIGNED_FACE_SIZE } from '../../pipeline/align.js';
import { dot } from '../../pipeline/vector.js';
import { CommandError, UsageError, type Command } from './command.js';
import { CONFIG_OPTION, loadConfigAndLogger, parseOptions } from './shared.js';
import {
  DEFAULT_BATCH,
  integerOption,
  maskColours,
  maskModeOption,
  openPhotoEmbedder,
  protocolName,
  toolQualityOption,
  withEmbedderModel,
  type MaskMode,
  type ToolQuality,
} from './tool-options.js';

export interface EvalMetrics extends VerificationMetrics {
  /** True accept rate at the lowest threshold with FMR <= 1e-3 (= 1 - fmr1000). */
  readonly tarAtFmr1e3: number;
}

export interface OperatingPointReport {
  readonly threshold: number;
  readonly falseMatches: number;
  readonly fmr: number;
  /** One-sided 95% Clopper–Pearson upper bound on the FMR. */
  readonly fmrUpperBound95: number;
  readonly falseNonMatches: number;
  readonly fnmr: number;
}

export interface FailedImage {
  readonly path: string;
  readonly masked: boolean;
  readonly error: string;
  readonly message: string;
}

export interface EvalReport {
  readonly tool: 'maskgate eval';
  readonly createdAt: string;
  readonly modelId: string;
  readonly pairsFile: string | null;
  readonly mask: MaskMode;
  readonly protocol: string;
  readonly pairs: { readonly total: number; readonly genuine: number; readonly impostor: number };
  /** Pairs with no usable face on at least one side, scored as non-matches. */
  readonly failureToAcquire: {
    readonly pairs: number;
    readonly rate: number;
    readonly genuinePairs: number;
    readonly impostorPairs: number;
    /** Distinct images (per mask variant) that failed, by error code. */
    readonly imagesByError: Readonly<Record<string, number>>;
  };
  /** FTA pairs included as non-matches. Thresholds of null in JSON mean +Infinity (reject all). */
  readonly metrics: EvalMetrics;
  /** The same metrics over acquired pairs only (comparable to papers that drop FTAs); null if a class is empty. */
  readonly acquiredOnly: EvalMetrics | null;
  /** 1 / impostor pairs: FMR targets below this cannot be measured on this pair list. */
  readonly smallestMeasurableFmr: number;
  /** The operating point at the appliance's configured matching.threshold. */
  readonly atConfiguredThreshold: OperatingPointReport | null;
  readonly failedImages: readonly FailedImage[];
  /** Quality profile the faces went through (photo unless --quality says otherwise). */
  readonly quality?: ToolQuality;
  /** The images were pre-aligned crops (--aligned): no detection, synthetic mask or quality gate. */
  readonly alignedCrops?: true;
  /** Failures to acquire (and warnings) by reason, overall and per condition (image folder). */
  readonly acquisition?: AcquisitionReport;
  /** Per quality measure: FNMR at `curveThreshold` as the worst faces are set aside, and per bin. */
  readonly qualityCurves?: readonly QualityCurve[];
  readonly curveThreshold?: number;
  readonly plots?: { readonly roc: string; readonly histogram: string; readonly errorReject?: string };
}

const MAX_LISTED_FAILURES = 1000;

function withTar(m: VerificationMetrics): EvalMetrics {
  return { ...m, tarAtFmr1e3: 1 - m.fmr1000 };
}

/** Scores of each pair; FTA_SCORE where either side has no embedding. Embeddings are unit length. */
export function scorePairs(
  pairs: readonly VerificationPair[],
  embeddingOf: (pair: VerificationPair, side: 'img1' | 'img2') => Float32Array | null,
): number[] {
  return pairs.map((pair) => {
    const a = embeddingOf(pair, 'img1');
    const b = embeddingOf(pair, 'img2');
    return a && b ? dot(a, b) : FTA_SCORE;
  });
}

export interface ReportContext {
  readonly modelId: string;
  readonly pairsFile: string | null;
  readonly mask: MaskMode;
  readonly imagesByError?: Readonly<Record<string, number>>;
  readonly failedImages?: readonly FailedImage[];
  /** The configured matching threshold, to report the operating point there. */
  readonly threshold?: number;
  readonly now?: Date;
  readonly quality?: ToolQuality;
  readonly alignedCrops?: true;
  readonly acquisition?: AcquisitionReport;
  readonly qualityCurves?: readonly QualityCurve[];
}

/** FMR and FNMR at one threshold (score >= t matches; FTA_SCORE never does). */
export function operatingPointAt(scores: readonly number[], labels: readonly (0 | 1)[], threshold: number): OperatingPointReport {
  let falseMatches = 0;
  let falseNonMatches = 0;
  let genuine = 0;
  scores.forEach((s, k) => {
    if (labels[k] === 1) {
      genuine++;
      if (!(s >= threshold)) falseNonMatches++;
    } else if (s >= threshold) falseMatches++;
  });
  const impostor = scores.length - genuine;
  return {
    threshold,
    falseMatches,
    fmr: falseMatches / impostor,
    fmrUpperBound95: clopperPearsonUpper(falseMatches, impostor),
    falseNonMatches,
    fnmr: falseNonMatches / genuine,
  };
}

/** Metrics and FTA accounting of scored pairs (label 1 genuine, 0 impostor; FTA_SCORE = no face). */
export function buildReport(scores: readonly number[], labels: readonly (0 | 1)[], ctx: ReportContext): EvalReport {
  const metrics = withTar(verificationMetrics(scores, labels));
  let ftaGenuine = 0;
  let ftaImpostor = 0;
  const acquiredScores: number[] = [];
  const acquiredLabels: (0 | 1)[] = [];
  scores.forEach((s, k) => {
    if (s === FTA_SCORE) {
      if (labels[k] === 1) ftaGenuine++;
      else ftaImpostor++;
    } else {
      acquiredScores.push(s);
      acquiredLabels.push(labels[k]!);
    }
  });
  let acquiredOnly: EvalMetrics | null = metrics;
  if (ftaGenuine + ftaImpostor > 0) {
    try {
      acquiredOnly = withTar(verificationMetrics(acquiredScores, acquiredLabels));
    } catch (err) {
      if (!(err instanceof MetricsError)) throw err;
      acquiredOnly = null;
    }
  }
  return {
    tool: 'maskgate eval',
    createdAt: (ctx.now ?? new Date()).toISOString(),
    modelId: ctx.modelId,
    pairsFile: ctx.pairsFile,
    mask: ctx.mask,
    protocol: protocolName(ctx.mask),
    pairs: { total: scores.length, genuine: metrics.genuine, impostor: metrics.impostor },
    failureToAcquire: {
      pairs: ftaGenuine + ftaImpostor,
      rate: (ftaGenuine + ftaImpostor) / scores.length,
      genuinePairs: ftaGenuine,
      impostorPairs: ftaImpostor,
      imagesByError: ctx.imagesByError ?? {},
    },
    metrics,
    acquiredOnly,
    smallestMeasurableFmr: 1 / metrics.impostor,
    atConfiguredThreshold: ctx.threshold === undefined ? null : operatingPointAt(scores, labels, ctx.threshold),
    failedImages: ctx.failedImages ?? [],
    ...(ctx.quality ? { quality: ctx.quality } : {}),
    ...(ctx.alignedCrops ? { alignedCrops: true as const } : {}),
    ...(ctx.acquisition ? { acquisition: ctx.acquisition } : {}),
    ...(ctx.qualityCurves && ctx.threshold !== undefined ? { qualityCurves: ctx.qualityCurves, curveThreshold: ctx.threshold } : {}),
  };
}

const fixed = (v: number | null, digits = 4): string =>
  v === null ? 'n/a' : v === Number.POSITIVE_INFINITY ? '+inf' : v.toFixed(digits);

/** The human-readable table printed on stdout. */
export function formatReport(r: EvalReport): string {
  const m = r.metrics;
  const fta = r.failureToAcquire;
  const byError = Object.entries(fta.imagesByError).map(([code, n]) => `${code} ${n}`).join(', ');
  const rows: [string, string, string][] = [
    ['ACC (best threshold)', fixed(m.acc), fixed(m.accThreshold)],
    ['EER', fixed(m.eer), fixed(m.eerThreshold)],
    ['FDR', fixed(m.fdr, 3), ''],
    ['FMR100  (FNMR at FMR<=1%)', fixed(m.fmr100), fixed(m.fmr100Threshold)],
    ['  achieved FMR / FNMR / avg', `${fixed(m.fmr100AchievedFmr)} / ${fixed(m.fmr100AchievedFnmr)} / ${fixed(m.fmr100Average)}`, ''],
    ['FMR1000 (FNMR at FMR<=0.1%)', fixed(m.fmr1000), fixed(m.fmr1000Threshold)],
    ['  achieved FMR / FNMR / avg', `${fixed(m.fmr1000AchievedFmr)} / ${fixed(m.fmr1000AchievedFnmr)} / ${fixed(m.fmr1000Average)}`, ''],
    ['ROC AUC', fixed(m.auc), ''],
    ['TAR at FMR 1e-3', fixed(m.tarAtFmr1e3), fixed(m.fmr1000Threshold)],
    ['FTA rate (pairs)', fixed(fta.rate), ''],
  ];

  const lines = [
    `model     ${r.modelId}`,
    `pairs     ${r.pairs.total} (${r.pairs.genuine} genuine, ${r.pairs.impostor} impostor)${r.pairsFile ? `  from ${r.pairsFile}` : ''}`,
    `protocol  ${r.protocol}${r.alignedCrops ? ' on pre-aligned crops (no detection, mask or quality gate)' : ''}`,
    `FTA       ${fta.pairs} pairs (${fta.genuinePairs} genuine, ${fta.impostorPairs} impostor) counted as non-matches` +
      (byError ? `; images: ${byError}` : ''),
    `note      ${r.pairs.impostor} impostor pairs resolve FMR down to ${r.smallestMeasurableFmr.toPrecision(2)}; ` +
      'a threshold of +inf means no finite threshold reaches the FMR bound on these pairs',
    '',
    `${'metric'.padEnd(30)}${'value'.padEnd(28)}threshold`,
    ...rows.map(([name, value, threshold]) => `${name.padEnd(30)}${value.padEnd(28)}${threshold}`),
  ];
  const op = r.atConfiguredThreshold;
  if (op) {
    lines.push(
      '',
      `at the configured threshold ${fixed(op.threshold)}: FMR ${fixed(op.fmr)} (${op.falseMatches}/${m.impostor}; 95% upper bound ` +
        `${fixed(op.fmrUpperBound95)}), FNMR ${fixed(op.fnmr)} (${op.falseNonMatches}/${m.genuine}, FTAs included)`,
    );
  }
  if (r.acquisition) lines.push('', ...formatAcquisition(r.acquisition, r.quality));
  if (r.qualityCurves && r.curveThreshold !== undefined) lines.push('', ...formatCurves(r.qualityCurves, r.curveThreshold));
  if (r.acquiredOnly && fta.pairs > 0) {
    const a = r.acquiredOnly;
    lines.push(
      '',
      `acquired pairs only (${a.genuine + a.impostor}): ACC ${fixed(a.acc)}  EER ${fixed(a.eer)}  FMR100 ${fixed(a.fmr100)}  ` +
        `FMR1000 ${fixed(a.fmr1000)}  AUC ${fixed(a.auc)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const counts = (c: AcquisitionCounts): string => {
  const reasons = Object.entries(c.byReason).map(([k, n]) => `${k} ${n}`).join(', ');
  const warnings = Object.entries(c.warningsByReason).map(([k, n]) => `${k} ${n}`).join(', ');
  return `${c.failed}/${c.images} (${(100 * c.rate).toFixed(2)}%)${reasons ? ` — ${reasons}` : ''}${c.warned ? `; warned ${c.warned}${warnings ? ` (${warnings})` : ''}` : ''}`;
};

function formatAcquisition(a: AcquisitionReport, quality: ToolQuality | undefined): string[] {
  return [
    `failure to acquire, images (quality profile ${quality ?? 'photo'}): ${counts(a.overall)}`,
    ...Object.entries(a.byCondition).map(([condition, c]) => `  ${condition.padEnd(28)}${counts(c)}`),
  ];
}

function formatCurves(curves: readonly QualityCurve[], threshold: number): string[] {
  const lines = [`error versus reject: FNMR at ${threshold.toFixed(3)} after setting aside the worst x% of genuine comparisons (cut value)`];
  for (const c of curves) {
    const pts = c.errorVersusReject
      .filter((p) => [0, 0.01, 0.05, 0.1, 0.2].some((f) => Math.abs(p.rejected - f) < 0.005))
      .map((p) => `${(100 * p.rejected).toFixed(0)}%: ${p.fnmr.toFixed(4)} (${p.cut.toPrecision(3)})`);
    lines.push(`  ${c.measure.padEnd(12)}${pts.join('  ')}`);
    lines.push(`  ${''.padEnd(12)}bins: ${c.bins.map((b) => `[${b.from},${b.to >= 1e8 ? 'inf' : b.to}) n=${b.comparisons} FNMR ${b.fnmr.toFixed(3)}`).join('; ')}`);
  }
  return lines;
}

/** Draws roc.png and scores.png (and error-reject.png when the report has quality curves) into `dir`. */
export async function writePlots(
  dir: string,
  scores: readonly number[],
  labels: readonly (0 | 1)[],
  report: EvalReport,
): Promise<{ roc: string; histogram: string; errorReject?: string }> {
  mkdirSync(dir, { recursive: true });
  const curve = rateCurve(scores, labels);
  const { fmr, tar } = rocPoints(curve);
  const title = `${report.modelId} — ${report.protocol}`;
  const roc = join(dir, 'roc.png');
  const histogram = join(dir, 'scores.png');
  writeFileSync(roc, await svgToPng(rocSvg({ fmr, tar, impostor: curve.impostor, title, fmrMarks: [0.01, 0.001] })));
  const genuine = scores.filter((_, k) => labels[k] === 1);
  const impostor = scores.filter((_, k) => labels[k] === 0);
  const m = report.metrics;
  const thresholds = [
    { label: 'FMR100', value: m.fmr100Threshold },
    { label: 'FMR1000', value: m.fmr1000Threshold },
  ].filter((t) => Number.isFinite(t.value));
  writeFileSync(
    histogram,
    await svgToPng(
      scoreHistogramSvg({
        genuine,
        impostor,
        title,
        thresholds,
        genuineFta: report.failureToAcquire.genuinePairs,
        impostorFta: report.failureToAcquire.impostorPairs,
      }),
    ),
  );
  if (!report.qualityCurves || report.curveThreshold === undefined) return { roc, histogram };
  const errorReject = join(dir, 'error-reject.png');
  const curves = report.qualityCurves.map((c) => ({ label: c.measure, points: c.errorVersusReject }));
  writeFileSync(errorReject, await svgToPng(errorRejectSvg({ curves, title: `${title} — error versus reject`, threshold: report.curveThreshold })));
  return { roc, histogram, errorReject };
}

export const evalCommand: Command = {
  name: 'eval',
  summary: 'Verification metrics (ACC, EER, FDR, FMR100/1000, AUC, FTA) of the model on a pairs CSV, with ROC and histogram plots',
  usage:
    'maskgate eval --pairs <csv> [--root <dir>] [--out <report.json>] [--plots <dir>] [--model <onnx>] [--mask probe|both|none] [--quality photo|door|none] [--aligned] [--batch N] [--config <file>]',
  async run(args, io) {
    const { values } = parseOptions(args, {
      ...CONFIG_OPTION,
      pairs: { type: 'string' },
      root: { type: 'string' },
      out: { type: 'string' },
      plots: { type: 'string' },
      model: { type: 'string' },
      mask: { type: 'string' },
      batch: { type: 'string' },
      quality: { type: 'string' },
      aligned: { type: 'boolean' },
    });
    if (!values.pairs) throw new UsageError('give --pairs <csv>');
    const quality = toolQualityOption(values.quality);
    const mask = maskModeOption(values.mask, 'none');
    const batch = integerOption('batch', values.batch, DEFAULT_BATCH, 1, 256);
    const pairsFile = resolve(values.pairs);
    let text: string;
    try {
      text = readFileSync(pairsFile, 'utf8');
    } catch (err) {
      throw new CommandError('pairs_unreadable', `cannot read ${pairsFile}: ${(err as Error).message}`);
    }
    const root = resolve(values.root ?? dirname(pairsFile));
    const pairs = resolvePairs(parsePairsCsv(text), root);

    const aligned = values.aligned === true;
    if (aligned && (values.mask !== undefined || values.quality !== undefined)) {
      throw new UsageError('--aligned takes the crops as they are (masks already drawn, no detection): --mask and --quality do not apply');
    }

    const loaded = loadConfigAndLogger(values.config, 'warn');
    const { core, photos } = await openPhotoEmbedder(withEmbedderModel(loaded.config, values.model), loaded.logger, quality);
    try {
      const colours = maskColours(mask);
      const keyOf = (path: string, colour: string | null): string => `${colour ?? ''}\0${path}`;
      const jobs = new Map<string, PhotoJobOf>();
      for (const p of pairs) {
        jobs.set(keyOf(p.img1, colours.img1), { source: p.img1, maskColour: colours.img1 });
        jobs.set(keyOf(p.img2, colours.img2), { source: p.img2, maskColour: colours.img2 });
      }
      const jobList = [...jobs.values()];
      const what = aligned ? 'aligned crops' : 'images';
      io.stderr.write(`eval: ${pairs.length} pairs, ${jobList.length} distinct ${what} to embed (${protocolName(mask)})\n`);
      let lastReport = 0;
      const progress = (done: number, total: number): void => {
        if (done - lastReport >= 100 || done === total) {
          lastReport = done;
          io.stderr.write(`eval: embedded ${done}/${total}\n`);
        }
      };
      const outcomes: readonly (PhotoOutcome | CropOutcome)[] = aligned
        ? await embedAlignedCrops(core.embedder, jobList.map((j) => j.source), ALIGNED_FACE_SIZE, batch, progress)
        : await photos.embedAll(jobList, batch, progress);
      const byKey = new Map(jobList.map((j, k) => [keyOf(j.source, j.maskColour), outcomes[k]!]));
      const imagesByError: Record<string, number> = {};
      const failedImages: FailedImage[] = [];
      jobList.forEach((job, k) => {
        const o = outcomes[k]!;
        if (o.ok) return;
        imagesByError[o.error] = (imagesByError[o.error] ?? 0) + 1;
        if (failedImages.length < MAX_LISTED_FAILURES) {
          failedImages.push({ path: job.source, masked: job.maskColour !== null, error: o.error, message: o.message });
        }
      });
      const outcomeOf = (pair: VerificationPair, side: 'img1' | 'img2') => byKey.get(keyOf(pair[side], colours[side]))!;
      const scores = scorePairs(pairs, (pair, side) => {
        const o = outcomeOf(pair, side);
        return o.ok ? o.embedding : null;
      });
      const labels = pairs.map((p) => p.label);
      const threshold = loaded.config.matching.threshold;
      let report = buildReport(scores, labels, {
        modelId: photos.modelId,
        pairsFile,
        mask,
        imagesByError,
        failedImages,
        threshold,
        // Aligned crops went through no detection or quality gate: there is no acquisition to report.
        ...(aligned
          ? { alignedCrops: true }
          : acquisitionFigures(root, jobList, outcomes as readonly PhotoOutcome[], pairs, scores, (p, s) => outcomeOf(p, s) as PhotoOutcome, quality, threshold)),
      });
      if (values.plots) report = { ...report, plots: await writePlots(resolve(values.plots), scores, labels, report) };
      io.stdout.write(formatReport(report));
      if (values.out) {
        const out = resolve(values.out);
        mkdirSync(dirname(out), { recursive: true });
        writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
        io.stdout.write(`report    ${out}\n`);
      }
      if (report.plots) io.stdout.write(`plots     ${Object.values(report.plots).join(', ')}\n`);
      return 0;
    } finally {
      await core.close();
    }
  },
};

interface PhotoJobOf {
  readonly source: string;
  readonly maskColour: string | null;
}

/** Failure to acquire by condition (image folder) and the quality error-versus-reject curves of photos. */
function acquisitionFigures(
  root: string,
  jobs: readonly PhotoJobOf[],
  outcomes: readonly PhotoOutcome[],
  pairs: readonly VerificationPair[],
  scores: readonly number[],
  outcomeOf: (pair: VerificationPair, side: 'img1' | 'img2') => PhotoOutcome,
  quality: ToolQuality,
  threshold: number,
): Pick<ReportContext, 'quality' | 'acquisition' | 'qualityCurves'> {
  const acquired: AcquiredImage[] = jobs.map((job, k) => {
    const o = outcomes[k]!;
    const folder = relative(root, dirname(job.source)) || '.';
    return {
      condition: job.maskColour ? `${folder} (synthetic mask)` : folder,
      ok: o.ok,
      reasons: o.ok ? [] : (o.reasons ?? [o.error]),
      warnings: o.ok ? o.warnings : [],
    };
  });
  const measuresOf = (pair: VerificationPair, side: 'img1' | 'img2') => {
    const o = outcomeOf(pair, side);
    return o.ok ? o.measures : null;
  };
  const genuine: GenuineComparison[] = [];
  pairs.forEach((p, k) => {
    const img1 = measuresOf(p, 'img1');
    const img2 = measuresOf(p, 'img2');
    if (p.label === 1 && img1 && img2) genuine.push({ score: scores[k]!, img1, img2 });
  });
  return { quality, acquisition: acquisitionReport(acquired), qualityCurves: qualityCurves(genuine, threshold) };
}
