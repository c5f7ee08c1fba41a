// Vector maths on embeddings, in one place and free of any runtime: the decider, calibration
// and the field tools use it without loading onnxruntime. (The matcher's scan keeps its own
// inner loop over one flat array: that loop is the 1:N search's hot path.)

/** Sum of the products of matching elements; for unit vectors, their cosine similarity. */
export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Euclidean length. */
export function l2Norm(v: Float32Array): number {
  return Math.sqrt(dot(v, v));
}

/** Scales `v` to unit length in place and returns it; an all-zero vector is left as is. */
export function l2Normalize(v: Float32Array): Float32Array {
  const length = l2Norm(v);
  if (length > 0) {
    const k = 1 / length;
    for (let i = 0; i < v.length; i++) v[i]! *= k;
  }
  return v;
}
