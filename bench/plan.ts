// What one benchmark run measures and how long it may take: the `--quick` and full presets,
// command-line overrides, and where the models and data live.
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../firmware-config/load.js';
import { PACKAGE_ROOT } from '../firmware-config/package-root.js';
import { CodedError } from '../pipeline/coded-error.js';
import { EXECUTION_PROVIDER_NAMES, type ExecutionProviderName } from '../pipeline/execution-providers.js';

export const SECTION_NAMES = ['appliance', 'decode', 'stages', 'throughput', 'embedders', 'reference', 'gallery'] as const;
export type SectionName = (typeof SECTION_NAMES)[number];

export interface ModelEntry {
  /** Short name in the report, e.g. "fr_feature (shipped)". */
  readonly label: string;
  readonly path: string;
}

export interface ThroughputConfig {
  readonly intraOpThreads: number;
  readonly allowSpinning: boolean;
}

export interface BenchPlan {
  readonly mode: 'quick' | 'full';
  readonly sections: readonly SectionName[];
  readonly repoRoot: string;
  /** Report file; null writes bench/out/report-<timestamp>.json. */
  readonly outPath: string | null;
  readonly detectorPath: string;
  /** ONNX Runtime execution providers for every model, tried in order (as `model.executionProviders`). */
  readonly executionProviders: readonly ExecutionProviderName[];
  /** The shipped embedder(s), plus the G2D model when one is present. */
  readonly embedders: readonly ModelEntry[];
  readonly referencePath: string;
  /** Interpreter with `onnx` and `numpy` that can build the reference model. */
  readonly python: string;
  readonly lfwDir: string | null;
  /** Frames per scene for the per-stage latencies. */
  readonly stageFrames: number;
  readonly decodeFrames: number;
  readonly publishMessages: number;
  readonly throughputSeconds: number;
  readonly throughputConfigs: readonly ThroughputConfig[];
  readonly embedderBatches: readonly number[];
  readonly embedderBudgetMs: number;
  readonly referenceBatches: readonly number[];
  readonly gallerySizes: readonly number[];
  readonly galleryProbes: number;
  /** Buffer copied for the memory-bandwidth reference; far larger than the caches. */
  readonly bandwidthBufferMiB: number;
  readonly applianceSeconds: number;
}

export class BenchUsageError extends CodedError<'bench_usage'> {
  constructor(message: string) {
    super('bench_usage', message);
  }
}

export const BENCH_USAGE =
  'maskgate bench [--quick] [--out <report.json>] [--only <sections>] [--skip <sections>] [--gallery-sizes <n,n,...>] ' +
  '[--providers <tensorrt,cuda,cpu>] [--python <interpreter>] [--lfw <dir>]\n' +
  `  sections: ${SECTION_NAMES.join(', ')}`;

const ALL_THROUGHPUT_CONFIGS: readonly ThroughputConfig[] = [
  { intraOpThreads: 1, allowSpinning: false },
  { intraOpThreads: 1, allowSpinning: true },
  { intraOpThreads: 2, allowSpinning: false },
  { intraOpThreads: 2, allowSpinning: true },
];

export function defaultPlan(mode: 'quick' | 'full', repoRoot = PACKAGE_ROOT): BenchPlan {
  const quick = mode === 'quick';
  // The appliance's default model first: the targets compare it with the reference.
  const defaultModel = resolve(repoRoot, parseConfig({}).model.embedder);
  const teacher = join(repoRoot, 'models/fr_feature/fr_feature.onnx');
  const shipped: ModelEntry[] = [{ label: `${basename(defaultModel, '.onnx')} (default)`, path: defaultModel }];
  if (defaultModel !== teacher) shipped.push({ label: 'fr_feature (teacher)', path: teacher });
  const venvPython = join(repoRoot, '.venv/bin/python');
  const lfw = resolve(repoRoot, '../shared/datasets/lfw-dev');
  return {
    mode,
    sections: SECTION_NAMES,
    repoRoot,
    outPath: null,
    detectorPath: join(repoRoot, 'models/blazeface/blazeface_back_256.onnx'),
    executionProviders: ['cpu'],
    embedders: shipped,
    referencePath: join(repoRoot, 'bench/out/reference-178m.onnx'),
    python: existsSync(venvPython) ? venvPython : 'python3',
    lfwDir: existsSync(lfw) ? lfw : null,
    stageFrames: quick ? 24 : 60,
    decodeFrames: quick ? 60 : 150,
    publishMessages: quick ? 100 : 300,
    throughputSeconds: quick ? 2 : 5,
    throughputConfigs: ALL_THROUGHPUT_CONFIGS,
    embedderBatches: [1, 5, 8, 32],
    embedderBudgetMs: quick ? 1000 : 3000,
    referenceBatches: quick ? [1] : [1, 8, 32],
    gallerySizes: quick ? [1_000, 10_000, 100_000] : [1_000, 10_000, 100_000, 1_000_000],
    galleryProbes: quick ? 10 : 20,
    bandwidthBufferMiB: 256,
    applianceSeconds: quick ? 6 : 15,
  };
}

function sectionList(value: string, option: string): SectionName[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(SECTION_NAMES as readonly string[]).includes(n)) {
      throw new BenchUsageError(`${option}: unknown section "${n}" (sections: ${SECTION_NAMES.join(', ')})`);
    }
  }
  return names as SectionName[];
}

/** Turns command-line arguments into a plan. Throws BenchUsageError for bad arguments. */
export function planFromArgs(args: readonly string[], repoRoot = PACKAGE_ROOT): BenchPlan {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        quick: { type: 'boolean' },
        out: { type: 'string' },
        only: { type: 'string' },
        skip: { type: 'string' },
        'gallery-sizes': { type: 'string' },
        providers: { type: 'string' },
        python: { type: 'string' },
        lfw: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new BenchUsageError((err as Error).message);
  }
  const base = defaultPlan(values.quick ? 'quick' : 'full', repoRoot);
  let sections: readonly SectionName[] = values.only ? sectionList(values.only, '--only') : base.sections;
  if (values.skip) {
    const skip = sectionList(values.skip, '--skip');
    sections = sections.filter((s) => !skip.includes(s));
  }
  let gallerySizes = base.gallerySizes;
  if (values['gallery-sizes']) {
    gallerySizes = values['gallery-sizes'].split(',').map((s) => Number(s.trim()));
    if (!gallerySizes.every((n) => Number.isInteger(n) && n >= 1 && n <= 5_000_000)) {
      throw new BenchUsageError('--gallery-sizes: give integers between 1 and 5000000, e.g. 1000,100000');
    }
  }
  let executionProviders = base.executionProviders;
  if (values.providers) {
    const names = values.providers.split(',').map((s) => s.trim());
    const unknown = names.filter((n) => !(EXECUTION_PROVIDER_NAMES as readonly string[]).includes(n));
    if (unknown.length > 0 || names.length === 0) {
      throw new BenchUsageError(`--providers: unknown provider ${unknown.join(', ')} (known: ${EXECUTION_PROVIDER_NAMES.join(', ')})`);
    }
    executionProviders = names as ExecutionProviderName[];
  }
  return {
    ...base,
    sections,
    gallerySizes,
    executionProviders,
    outPath: values.out ? resolve(values.out) : null,
    python: values.python ?? base.python,
    lfwDir: values.lfw ? resolve(values.lfw) : base.lfwDir,
  };
}
