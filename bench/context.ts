// What the benchmark sections share: the plan, a progress log, a scratch directory, and the
// models and scenes built once on first use (1 ORT thread, no spinning: the default config).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';
import { BlazeFaceDetector } from '../pipeline/detector.js';
import { OnnxEmbedder } from '../pipeline/embedder.js';
import { FaceAnalyzer } from '../pipeline/face-analyzer.js';
import { DEFAULT_QUALITY_LIMITS, DEFAULT_QUALITY_PROFILES, type QualityLimits } from '../pipeline/quality.js';
import type { BenchPlan, ThroughputConfig } from './plan.js';
import { buildScenes, type Scenes } from './scenes.js';

export interface AnalyzerParts {
  readonly detector: BlazeFaceDetector;
  readonly embedder: OnnxEmbedder;
  readonly analyzer: FaceAnalyzer;
  readonly qualityLimits: QualityLimits;
  close(): Promise<void>;
}

export const DEFAULT_SESSION: ThroughputConfig = { intraOpThreads: 1, allowSpinning: false };

/** Detector + shipped embedder + analyzer with the given ORT settings. */
export async function openAnalyzer(plan: BenchPlan, session: ThroughputConfig, logger: Logger): Promise<AnalyzerParts> {
  const opts = {
    executionProviders: plan.executionProviders,
    intraOpThreads: session.intraOpThreads,
    allowSpinning: session.allowSpinning,
    logger,
  };
  const detector = await BlazeFaceDetector.create({ modelPath: plan.detectorPath, ...opts });
  const embedder = await OnnxEmbedder.create(plan.embedders[0]!.path, opts);
  const qualityLimits = DEFAULT_QUALITY_LIMITS;
  return {
    detector,
    embedder,
    qualityLimits,
    analyzer: new FaceAnalyzer(detector, embedder, DEFAULT_QUALITY_PROFILES),
    async close() {
      await embedder.close();
      await detector.close();
    },
  };
}

export class BenchContext {
  /** Library logs stay quiet; the benchmark reports through `progress`. */
  readonly logger: Logger = pino({ level: 'silent' });
  readonly workDir: string;
  private parts: Promise<AnalyzerParts> | null = null;
  private scenesPromise: Promise<Scenes> | null = null;
  private builtScenes: Scenes | null = null;

  constructor(
    readonly plan: BenchPlan,
    readonly progress: (line: string) => void,
  ) {
    this.workDir = mkdtempSync(join(tmpdir(), 'maskgate-bench-'));
  }

  /** The default-config analyzer, shared by the sections that do not vary ORT settings. */
  analyzerParts(): Promise<AnalyzerParts> {
    this.parts ??= openAnalyzer(this.plan, DEFAULT_SESSION, this.logger);
    return this.parts;
  }

  scenes(): Promise<Scenes> {
    this.scenesPromise ??= (async () => {
      this.progress('composing the 1-face and 5-face scenes…');
      const { analyzer } = await this.analyzerParts();
      this.builtScenes = await buildScenes(analyzer, this.plan.repoRoot, this.plan.lfwDir, this.plan.stageFrames);
      return this.builtScenes;
    })();
    return this.scenesPromise;
  }

  /** The providers the default-config models got; null when no section loaded them. */
  async loadedProviders(): Promise<{ detector: string; embedder: string } | null> {
    if (!this.parts) return null;
    const { detector, embedder } = await this.parts;
    return { detector: detector.provider, embedder: embedder.provider };
  }

  /** Where the scenes' photos came from; null when no section needed them. */
  scenesSource(): string | null {
    return this.builtScenes?.photoSource ?? null;
  }

  async close(): Promise<void> {
    if (this.parts) await (await this.parts).close();
    rmSync(this.workDir, { recursive: true, force: true });
  }
}
