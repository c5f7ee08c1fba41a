// int8 codes of the gallery's templates, for a first pass that reads a quarter of the bytes of
// the float32 rows (pipeline/coded-rows.ts, GalleryMatcher.searchCoded). Every template shares
// one fixed scale, so the int8 dot product of a probe's codes with a row's codes orders rows as
// the approximate score does; each row keeps the exact length of its rounding error, so the
// approximate score comes with a proven bound (Cauchy-Schwarz), and the exact float32 re-rank of
// the best few can show that no row left out could have won.

/** A template value of ±CODE_CLIP maps to ±127. L2-normalised 512-D face templates rarely have a value beyond ±0.25; a larger one is clipped and its row's error grows by what was cut, so the bound stays true. */
export const CODE_CLIP = 0.25;
export const CODE_SCALE = 127 / CODE_CLIP;

/**
 * Writes the codes of one L2-normalised row into `codes` at `offset`; returns the length of
 * the rounding error, |row - codes / CODE_SCALE|, rounded up so that float arithmetic never
 * makes the bound smaller than the truth.
 */
export function encodeRow(row: Float32Array, codes: Int8Array, offset: number): number {
  let error = 0;
  for (let i = 0; i < row.length; i++) {
    const code = clampCode(Math.round(row[i]! * CODE_SCALE));
    codes[offset + i] = code;
    const d = row[i]! - code / CODE_SCALE;
    error += d * d;
  }
  return roundUp(Math.sqrt(error));
}

export interface ProbeCodes {
  readonly codes: Int8Array;
  /** Probe value = code / scale (its own scale: the probe's largest value maps to ±127). */
  readonly scale: number;
  /** |probe - codes / scale|, rounded up. */
  readonly error: number;
}

/** Codes of an L2-normalised probe, on a scale of its own (a common factor of every row's score). */
export function encodeProbe(unit: Float32Array): ProbeCodes {
  let largest = 0;
  for (let i = 0; i < unit.length; i++) largest = Math.max(largest, Math.abs(unit[i]!));
  const scale = largest > 0 ? 127 / largest : 1;
  const codes = new Int8Array(unit.length);
  let error = 0;
  for (let i = 0; i < unit.length; i++) {
    const code = clampCode(Math.round(unit[i]! * scale));
    codes[i] = code;
    const d = unit[i]! - code / scale;
    error += d * d;
  }
  return { codes, scale, error: roundUp(Math.sqrt(error)) };
}

/** The approximate score of a row from the int8 dot product of the codes. */
export function approximateScore(codeDot: number, probe: ProbeCodes): number {
  return codeDot / (probe.scale * CODE_SCALE);
}

/**
 * How far any row's approximate score can be from its exact score: for a unit probe q with
 * codes q' (error eq) and a unit row x with codes x' (error ex, |x'| ≤ 1 + ex),
 * |q·x - q'·x'| ≤ |q|·|x - x'| + |q - q'|·|x'| ≤ ex + eq·(1 + ex).
 * `rowError` is the largest row error in the gallery. A small margin covers the float32
 * rounding of the exact scores themselves.
 */
export function scoreErrorBound(rowError: number, probe: ProbeCodes): number {
  return rowError + probe.error * (1 + rowError) + EXACT_SCORE_SLACK;
}

/** float32 dot products of 512 values can differ from the real value by ~1e-6. */
const EXACT_SCORE_SLACK = 1e-5;

function clampCode(code: number): number {
  return code > 127 ? 127 : code < -127 ? -127 : code;
}

function roundUp(x: number): number {
  return x * (1 + 1e-9) + 1e-12;
}
