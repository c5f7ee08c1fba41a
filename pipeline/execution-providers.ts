// Creates onnxruntime sessions with an ordered list of execution providers, falling back
// provider by provider, and turns model-file problems into typed errors.
import { stat } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import type { Logger } from 'pino';

export type ExecutionProviderName = 'tensorrt' | 'cuda' | 'cpu';

export const EXECUTION_PROVIDER_NAMES: readonly ExecutionProviderName[] = ['tensorrt', 'cuda', 'cpu'];

export type ModelLoadErrorCode =
  | 'model_missing'
  | 'model_invalid'
  | 'provider_unavailable'
  | 'sidecar_missing'
  | 'sidecar_invalid';

export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
  constructor(
    readonly code: ModelLoadErrorCode,
    message: string,
    readonly modelPath: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface SessionOptions {
  /** Tried in order; the first that loads wins. Default `['cpu']`. */
  readonly executionProviders?: readonly ExecutionProviderName[];
  /** Threads for one operator; default lets onnxruntime choose (one per core). */
  readonly intraOpThreads?: number;
  /**
   * Whether idle intra-op threads busy-wait for work. Spinning shaves latency but burns a core
   * between frames, which matters on a small appliance, so the default is off.
   */
  readonly allowSpinning?: boolean;
  readonly logger?: Logger;
}

export interface LoadedSession {
  readonly session: ort.InferenceSession;
  readonly provider: ExecutionProviderName;
  readonly modelPath: string;
}

/**
 * Loads `modelPath` with the first execution provider in `executionProviders` that works.
 * An unavailable provider (e.g. CUDA on this CPU-only onnxruntime build) is logged as a warning
 * and the next one is tried; if none works the error says which failed and why.
 */
export async function createSession(modelPath: string, opts: SessionOptions = {}): Promise<LoadedSession> {
  const providers = opts.executionProviders ?? ['cpu'];
  if (providers.length === 0) {
    throw new ModelLoadError('provider_unavailable', 'No execution provider was requested', modelPath);
  }
  for (const p of providers) {
    if (!EXECUTION_PROVIDER_NAMES.includes(p)) {
      throw new ModelLoadError(
        'provider_unavailable',
        `Unknown execution provider "${String(p)}" (expected one of ${EXECUTION_PROVIDER_NAMES.join(', ')})`,
        modelPath,
      );
    }
  }
  await checkModelFile(modelPath);
  const sessionOptions = baseSessionOptions(opts);
  const failures: string[] = [];

  for (const provider of providers) {
    try {
      const session = await ort.InferenceSession.create(modelPath, {
        ...sessionOptions,
        executionProviders: [provider],
      });
      opts.logger?.info({ modelPath, provider, fallbacks: failures.length }, 'onnx model loaded');
      return { session, provider, modelPath };
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      failures.push(`${provider}: ${reason}`);
      // The CPU provider is always present, so a CPU failure means the file itself is bad.
      if (provider === 'cpu') {
        throw new ModelLoadError('model_invalid', `Model ${modelPath} could not be loaded: ${reason}`, modelPath, {
          cause: err,
        });
      }
      opts.logger?.warn({ modelPath, provider, reason }, 'execution provider unavailable, trying the next one');
    }
  }
  throw new ModelLoadError(
    'provider_unavailable',
    `No requested execution provider could load ${modelPath} (${failures.join('; ')})`,
    modelPath,
  );
}

/** @throws ModelLoadError `model_missing` or `model_invalid`, naming the .onnx file itself. */
export async function checkModelFile(modelPath: string): Promise<void> {
  let size: number;
  let isFile: boolean;
  try {
    const st = await stat(modelPath);
    size = st.size;
    isFile = st.isFile();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new ModelLoadError('model_missing', `Model file not found: ${modelPath}`, modelPath, { cause: err });
    }
    throw new ModelLoadError('model_invalid', `Model file ${modelPath} is unreadable (${code ?? 'error'})`, modelPath, {
      cause: err,
    });
  }
  if (!isFile) throw new ModelLoadError('model_invalid', `Model path is not a file: ${modelPath}`, modelPath);
  if (size === 0) throw new ModelLoadError('model_invalid', `Model file is empty: ${modelPath}`, modelPath);
}

function baseSessionOptions(opts: SessionOptions): ort.InferenceSession.SessionOptions {
  const options: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    // 3 = errors only: the bundled models carry unused initialisers that ORT warns about on every load.
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: opts.allowSpinning ? '1' : '0' } } },
  };
  if (opts.intraOpThreads !== undefined) {
    if (!Number.isInteger(opts.intraOpThreads) || opts.intraOpThreads < 0) {
      throw new RangeError(`intraOpThreads must be a non-negative integer, got ${opts.intraOpThreads}`);
    }
    options.intraOpNumThreads = opts.intraOpThreads;
  }
  return options;
}

/**
 * Runs async jobs one after another. The detector and embedder reuse their input tensors
 * between calls, and onnxruntime reads those buffers while `run` is pending, so calls on one
 * instance must not overlap.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
