// `npm run bench` / `maskgate bench`: measures the appliance's speed and cost section by
// section, prints a table and writes the JSON report (bench/out/report-<timestamp>.json).
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { BENCH_COMMAND_ENV } from '../daemon/commands/bench.js';
import { BenchContext } from './context.js';
import { BENCH_USAGE, BenchUsageError, planFromArgs, type BenchPlan, type SectionName } from './plan.js';
import { ensureReferenceModel } from './reference-model.js';
import { evaluateTargets, formatReport, type BenchReport, type MachineInfo, type ReportDraft, type SectionRun } from './report.js';
import { measureAppliance } from './sections/appliance.js';
import { measureDecode } from './sections/decode.js';
import { measureEmbedder, trimmedSidecarCopy } from './sections/embedders.js';
import { measureGallery } from './sections/gallery.js';
import { measurePublication } from './sections/publication.js';
import { measureStages } from './sections/stages.js';
import { measureThroughput } from './sections/throughput.js';
import type { Summary } from './stats.js';

export interface BenchIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
}

export function machineInfo(): MachineInfo {
  const require = createRequire(import.meta.url);
  const ort = require('onnxruntime-node/package.json') as { version: string };
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    totalMemoryGiB: totalmem() / 2 ** 30,
    platform: `${process.platform} ${release()} ${process.arch}`,
    node: process.version,
    onnxruntime: ort.version,
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Runs the plan's sections in order; a failing section is recorded and the rest still run. */
export async function runBench(plan: BenchPlan, io: BenchIo, command = 'npm run bench'): Promise<{ report: BenchReport; path: string }> {
  const started = new Date();
  const t0 = performance.now();
  const progress = (line: string): void => void io.stderr.write(`bench: ${line}\n`);
  const ctx = new BenchContext(plan, progress);
  const draft: Mutable<ReportDraft> = {
    schema: 'maskgate.bench/1',
    mode: plan.mode,
    startedAt: started.toISOString(),
    seconds: 0,
    command,
    machine: machineInfo(),
    providers: { requested: plan.executionProviders, detector: null, embedder: null },
    sections: [],
    photoSource: null,
    stages: [],
    publication: null,
    throughput: [],
    embedders: [],
    reference: null,
    referenceSkipped: plan.sections.includes('reference') ? null : 'section not selected',
    gallery: null,
    appliance: [],
    notes: [],
  };
  const section = async (name: SectionName, job: () => Promise<void>): Promise<void> => {
    if (!plan.sections.includes(name)) return;
    progress(`${name}…`);
    const start = performance.now();
    const loadStart = loadavg()[0]!;
    let error: string | null = null;
    try {
      await job();
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
      progress(`${name} failed: ${error}`);
    }
    const run: SectionRun = { section: name, seconds: (performance.now() - start) / 1000, loadAverage1mStart: loadStart, loadAverage1mEnd: loadavg()[0]!, error };
    draft.sections.push(run);
  };

  try {
    // The appliance first: its RSS and start-up are measured before anything else was loaded.
    await section('appliance', async () => {
      draft.appliance.push(await measureAppliance(ctx, 1));
      draft.appliance.push(await measureAppliance(ctx, 5));
    });
    const decode = new Map<number, Summary>();
    await section('decode', async () => {
      const scenes = await ctx.scenes();
      decode.set(1, await measureDecode(ctx, scenes.oneFace, '1face'));
      decode.set(5, await measureDecode(ctx, scenes.fiveFaces, '5faces'));
    });
    await section('stages', async () => {
      const scenes = await ctx.scenes();
      draft.stages.push(await measureStages(ctx, scenes.oneFace, 1, decode.get(1) ?? null));
      draft.stages.push(await measureStages(ctx, scenes.fiveFaces, 5, decode.get(5) ?? null));
      draft.publication = await measurePublication(ctx);
    });
    await section('throughput', async () => {
      const scenes = await ctx.scenes();
      const sets = [
        { facesPerFrame: 1, frames: scenes.oneFace },
        { facesPerFrame: 5, frames: scenes.fiveFaces },
      ];
      for (const config of plan.throughputConfigs) {
        progress(`  ${config.intraOpThreads} thread(s), spinning ${config.allowSpinning ? 'on' : 'off'}`);
        draft.throughput.push(...(await measureThroughput(ctx, sets, config)));
      }
    });
    await section('embedders', async () => {
      const measure = async (label: string, path: string) =>
        (await measureEmbedder(ctx, { label, path, batches: plan.embedderBatches, parameters: null, minRuns: 3, budgetMs: plan.embedderBudgetMs }))
          .results;
      for (const [i, model] of plan.embedders.entries()) {
        try {
          draft.embedders.push(...(await measure(model.label, model.path)));
        } catch (err) {
          // The shipped model must work; an extra model that does not load is reported, not fatal.
          if (i === 0) throw err;
          const { code } = err as { code?: unknown };
          const why = `${(err as Error).message}${typeof code === 'string' ? ` [${code}]` : ''}`;
          if (code === 'sidecar_invalid' && /unknown key/.test(why)) {
            draft.embedders.push(...(await measure(`${model.label} (trimmed sidecar)`, trimmedSidecarCopy(model.path, ctx.workDir))));
            draft.notes.push(`${model.path} does not load in the appliance as it is (${why}); it was timed with its sidecar cut to the embedder's keys.`);
          } else {
            draft.notes.push(`${model.label} (${model.path}) not measured: ${why}`);
          }
          progress(`  ${model.label}: ${why}`);
        }
      }
    });
    await section('reference', async () => {
      const generator = join(plan.repoRoot, 'bench/models/make_reference.py');
      const model = await ensureReferenceModel(plan.referencePath, plan.python, generator, progress);
      if (!model.available) {
        draft.referenceSkipped = model.reason;
        progress(`reference model skipped: ${model.reason}`);
        return;
      }
      const label = `reference ${(model.summary.parameters / 1e6).toFixed(0)}M`;
      // A 178M-parameter model takes a good fraction of a second per face here: one warm-up
      // and ~1.5 s of runs per batch size keeps the section to about a minute at batch 32.
      const { loadSeconds, results } = await measureEmbedder(ctx, {
        label,
        path: model.path,
        batches: plan.referenceBatches,
        parameters: model.summary.parameters,
        minRuns: 1,
        budgetMs: 1500,
      });
      draft.embedders.push(...results);
      draft.reference = { path: model.path, ...model.summary, generatedSeconds: model.generatedSeconds, loadSeconds };
    });
    await section('gallery', async () => {
      draft.gallery = await measureGallery(ctx);
    });
  } finally {
    draft.photoSource = ctx.scenesSource();
    const loaded = await ctx.loadedProviders();
    if (loaded) draft.providers = { requested: plan.executionProviders, ...loaded };
    await ctx.close();
  }

  if (draft.embedders.some((e) => e.sequential)) {
    draft.notes.push('a "(sequential)" embedder has a fixed batch of 1 in its ONNX graph: its batch-N row is N runs one after another.');
  }
  draft.seconds = (performance.now() - t0) / 1000;
  const report: BenchReport = { ...draft, targets: evaluateTargets(draft) };
  const path = plan.outPath ?? join(plan.repoRoot, 'bench', 'out', `report-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
  io.stdout.write(`${formatReport(report)}\n\nreport written to ${path}\n`);
  return { report, path };
}

/** The command line: returns the exit code (0 even when a target is missed: the report says so). */
export async function runBenchCli(args: readonly string[], io: BenchIo, command = 'npm run bench'): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout.write(`Measures the appliance's speed and cost; writes bench/out/report-<timestamp>.json\n\nUsage: ${BENCH_USAGE}\n`);
    return 0;
  }
  let plan: BenchPlan;
  try {
    plan = planFromArgs(args);
  } catch (err) {
    if (err instanceof BenchUsageError) {
      io.stderr.write(`bench: ${err.message}\nUsage: ${BENCH_USAGE}\n`);
      return 2;
    }
    throw err;
  }
  const { report } = await runBench(plan, io, [command, ...args].join(' '));
  return report.sections.some((s) => s.error) ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  // `maskgate bench` starts this script as its own process and says so, for the report.
  process.exitCode = await runBenchCli(process.argv.slice(2), process, process.env[BENCH_COMMAND_ENV] || undefined);
}
