// Several PAD models on the same face, each on its own context crop (e.g. 2.7x the detector box,
// which sees paper edges and bezels, and 1.2x, which sees the skin's texture at over twice the
// resolution), fused into one attack probability: the mean of their log-odds. Two models looking
// at different evidence make different mistakes; the mean log-odds lets one confident model
// outvote one that is unsure, which a plain mean of probabilities does less (docs/pad.md).
import type { SessionOptions } from './execution-providers.js';
import { OnnxPadScorer, type PadScorer } from './pad-model.js';
import type { Box, RgbImage } from './types.js';

/** Probabilities this close to 0 or 1 are clipped so that one saturated model cannot reach ±∞. */
const PROBABILITY_FLOOR = 1e-6;

function logOdds(p: number): number {
  const q = Math.min(Math.max(p, PROBABILITY_FLOOR), 1 - PROBABILITY_FLOOR);
  return Math.log(q / (1 - q));
}

/** One attack probability from several: sigmoid of the mean log-odds. */
export function fuseAttackProbabilities(probabilities: readonly number[]): number {
  if (probabilities.length === 0) throw new RangeError('fuseAttackProbabilities: no probabilities');
  const mean = probabilities.reduce((sum, p) => sum + logOdds(p), 0) / probabilities.length;
  return 1 / (1 + Math.exp(-mean));
}

export class FusedPadScorer implements PadScorer {
  readonly modelId: string;

  constructor(private readonly members: readonly PadScorer[]) {
    if (members.length < 2) throw new RangeError('FusedPadScorer: fusing needs at least two models');
    this.modelId = members.map((m) => m.modelId).join('+');
  }

  async score(faces: readonly { readonly image: RgbImage; readonly box: Box }[]): Promise<number[]> {
    const byMember = await Promise.all(this.members.map((m) => m.score(faces)));
    return faces.map((_, i) => fuseAttackProbabilities(byMember.map((scores) => scores[i]!)));
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.close()));
  }
}

/** The PAD scorer of these ONNX models (`model.pad`): the one model, or several fused. */
export async function openPadScorer(modelPaths: readonly string[], sessionOpts: SessionOptions = {}): Promise<PadScorer> {
  const members: PadScorer[] = [];
  try {
    for (const path of modelPaths) members.push(await OnnxPadScorer.create(path, sessionOpts));
  } catch (err) {
    await Promise.all(members.map((m) => m.close()));
    throw err;
  }
  return members.length === 1 ? members[0]! : new FusedPadScorer(members);
}
