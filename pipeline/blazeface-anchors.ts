// SSD anchors of MediaPipe's BlazeFace "back" (full-range-camera, 256x256) model, following
// mediapipe/calculators/tflite/ssd_anchors_calculator.cc with fixed_anchor_size: consecutive
// layers that share a stride are merged into one grid with 2 anchors per layer per cell.

export interface AnchorSpec {
  /** Side of the square model input in pixels. */
  readonly inputSize: number;
  /** One stride per SSD layer, in input pixels. */
  readonly strides: readonly number[];
  /** Anchors each layer contributes per grid cell (aspect ratio 1 + interpolated scale = 2). */
  readonly anchorsPerLayer: number;
  /** Anchor centre within its cell, as a fraction of the cell (MediaPipe: 0.5). */
  readonly anchorOffset: number;
}

/** Anchor centre in normalised input coordinates (0..1). */
export interface Anchor {
  readonly x: number;
  readonly y: number;
}

export const BLAZEFACE_BACK_256_ANCHORS: AnchorSpec = {
  inputSize: 256,
  strides: [16, 32, 32, 32],
  anchorsPerLayer: 2,
  anchorOffset: 0.5,
};

/** 896 anchors for the back model: 16x16x2 (stride 16) then 8x8x6 (three stride-32 layers). */
export function generateAnchors(spec: AnchorSpec = BLAZEFACE_BACK_256_ANCHORS): Anchor[] {
  const anchors: Anchor[] = [];
  let layer = 0;
  while (layer < spec.strides.length) {
    const stride = spec.strides[layer]!;
    let sameStrideLayers = 0;
    while (layer < spec.strides.length && spec.strides[layer] === stride) {
      sameStrideLayers++;
      layer++;
    }
    const grid = Math.ceil(spec.inputSize / stride);
    const perCell = sameStrideLayers * spec.anchorsPerLayer;
    for (let y = 0; y < grid; y++) {
      for (let x = 0; x < grid; x++) {
        const anchor = { x: (x + spec.anchorOffset) / grid, y: (y + spec.anchorOffset) / grid };
        for (let k = 0; k < perCell; k++) anchors.push(anchor);
      }
    }
  }
  return anchors;
}
