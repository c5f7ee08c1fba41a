// Per-frame evidence about each usable face beyond its identity: the PAD model's attack score and
// whether it wears a mask. A model failure yields nulls for that frame (logged by the caller),
// never an exception: the decision layer treats missing PAD evidence as "cannot grant".
import type { MaskClassifier } from './mask-classifier.js';
import type { PadScorer } from './pad-model.js';
import type { AlignedFace, FaceEvidence, RgbImage } from './types.js';


export class FaceScreen {
  constructor(
    private readonly pad: PadScorer,
    private readonly mask: MaskClassifier,
    private readonly onError: (stage: 'pad' | 'mask', err: Error) => void = () => {},
  ) {}

  /** Evidence for each aligned face of `frame`, in order. */
  async screen(frame: RgbImage, faces: readonly AlignedFace[]): Promise<FaceEvidence[]> {
    if (faces.length === 0) return [];
    const [pad, masked] = await Promise.all([
      this.pad.score(faces.map((f) => ({ image: frame, box: f.detection.box }))).catch((err: Error) => {
        this.onError('pad', err);
        return faces.map(() => null);
      }),
      this.mask.classify(faces).catch((err: Error) => {
        this.onError('mask', err);
        return faces.map(() => null);
      }),
    ]);
    return faces.map((_, i) => ({ padScore: pad[i] ?? null, masked: masked[i] ?? null }));
  }
}
