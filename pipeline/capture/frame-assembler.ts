// Cuts ffmpeg's stdout byte stream into whole frames. Pipe reads arrive in chunks of up to 64 KiB
// that ignore frame boundaries, so every byte is copied exactly once, straight into the frame it
// belongs to; each frame owns its own ArrayBuffer because downstream stages keep it a while.

export class FrameAssembler {
  private pending: Uint8Array | undefined;
  private filled = 0;

  constructor(readonly frameBytes: number) {
    if (!Number.isInteger(frameBytes) || frameBytes <= 0) {
      throw new RangeError(`frameBytes must be a positive integer (got ${frameBytes})`);
    }
  }

  /** Bytes of an incomplete frame held back until the next chunk. */
  get pendingBytes(): number {
    return this.filled;
  }

  /** Consumes one chunk and calls `onFrame` for each frame it completes, in order. */
  push(chunk: Uint8Array, onFrame: (data: Uint8Array) => void): void {
    let offset = 0;
    while (offset < chunk.length) {
      // A fresh ArrayBuffer, never a pooled Buffer slice: `frame.data.buffer` must be the frame.
      const target = (this.pending ??= new Uint8Array(new ArrayBuffer(this.frameBytes)));
      const take = Math.min(this.frameBytes - this.filled, chunk.length - offset);
      target.set(chunk.subarray(offset, offset + take), this.filled);
      this.filled += take;
      offset += take;
      if (this.filled === this.frameBytes) {
        this.pending = undefined;
        this.filled = 0;
        onFrame(target);
      }
    }
  }

  /** Drops a partial frame (the process ended mid-frame); returns how many bytes were dropped. */
  discardPartial(): number {
    const dropped = this.filled;
    this.pending = undefined;
    this.filled = 0;
    return dropped;
  }
}
