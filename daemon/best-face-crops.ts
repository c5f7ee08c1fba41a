// The best aligned crop of each open track, kept only while the site shows face thumbnails on
// the console's Live page (api.liveThumbnails). One crop per track, in memory, handed over with
// the track's decision and dropped when the track ends: nothing here is ever written anywhere.
import type { AlignedFace, QualityReport } from '../pipeline/types.js';

interface Candidate {
  readonly face: AlignedFace;
  readonly usable: boolean;
  readonly interEyeDistancePx: number;
}

/** A face that passed the quality gate beats one that did not; then the larger (closer) face. */
function better(a: Candidate, b: Candidate): boolean {
  if (a.usable !== b.usable) return a.usable;
  return a.interEyeDistancePx > b.interEyeDistancePx;
}

export class BestFaceCrops {
  private readonly byTrack = new Map<string, Candidate>();

  offer(trackId: string, face: AlignedFace, quality: QualityReport): void {
    const candidate = { face, usable: quality.ok, interEyeDistancePx: quality.interEyeDistancePx };
    const held = this.byTrack.get(trackId);
    if (!held || better(candidate, held)) this.byTrack.set(trackId, candidate);
  }

  /**
   * The track's best crop since the last take, for its decision. The next decision of a
   * lingering track shows a crop from its own, later frames.
   */
  take(trackId: string): AlignedFace | null {
    const held = this.byTrack.get(trackId);
    this.byTrack.delete(trackId);
    return held?.face ?? null;
  }

  get size(): number {
    return this.byTrack.size;
  }
}
