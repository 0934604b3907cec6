// The kernel contract every backend implements. Kernels work on raw typed arrays (row-major,
// contiguous unless a leading dimension says otherwise) and write into caller-owned outputs, so the
// op layer controls every allocation. The JS kernels are the reference; fast backends must match them
// within float32 rounding.

export type F32 = Float32Array;
export type I32 = Int32Array;

export type BackendName = 'js' | 'wasm' | 'native';

export interface Kernels {
  readonly name: BackendName;
  /**
   * C = alpha·op(A)·op(B) + beta·C, all row-major. op(A) is m×k: A is stored m×k (lda ≥ k) or, when
   * transA, k×m (lda ≥ m). op(B) is k×n: B is stored k×n (ldb ≥ n) or, when transB, n×k (ldb ≥ k).
   * C is m×n with ldc ≥ n. beta = 0 ignores C's previous contents (even NaN); k = 0 scales C by beta.
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: F32,
    lda: number,
    b: F32,
    ldb: number,
    beta: number,
    c: F32,
    ldc: number,
  ): void;
  /** out[i, :] (+)= src[index[i], :] for i < index.length; rows are `cols` wide. */
  gatherRows(src: F32, cols: number, index: I32, out: F32, accumulate: boolean): void;
  /** out[index[i], :] += src[i, :] for i < index.length (out is not cleared first). */
  scatterAddRows(src: F32, cols: number, index: I32, out: F32): void;
  /**
   * out[dstIndex[i], :] += src[srcIndex[i], :] for i < srcIndex.length: gather and scatter-add fused,
   * so message passing with sum aggregation never materializes one row per edge. Optional: the op
   * layer falls back to the JS kernel when a backend lacks it.
   */
  gatherScatterAddRows?(src: F32, cols: number, srcIndex: I32, dstIndex: I32, out: F32): void;
  /**
   * Per segment s < numSegments: out[s, c] = max over rows i with index[i] = s of src[i, c], and
   * argmax[s, c] = that row (the first on ties); empty segments give out = 0 and argmax = -1.
   */
  segmentMaxRows(src: F32, cols: number, index: I32, numSegments: number, out: F32, argmax: I32): void;

  // Streaming kernels (elementwise chains and per-column statistics). Optional for fast backends:
  // the backend registry fills any a backend lacks from the JS reference (see FullKernels).
  /** In place x[i] = act(x[i]) for i < n (act: ACT_RELU, ACT_TANH, ACT_SIGMOID or ACT_GELU). */
  activation?(act: number, x: F32, n: number): void;
  /**
   * gPre[i] = g[i]·act'(·) for i < n, from the output y (relu, tanh, sigmoid) or the pre-activation
   * `pre` (gelu; may be empty otherwise). gPre may alias g.
   */
  activationBackward?(act: number, g: F32, y: F32, pre: F32, gPre: F32, n: number): void;
  /** out[j] += Σ_r x[r·cols + j] (column sums, e.g. bias gradients). */
  sumRows?(x: F32, rows: number, cols: number, out: F32): void;
  /** Per column j: mean[j] and biased variance[j] of x (two passes, float64 sums). */
  columnMeanVar?(x: F32, rows: number, cols: number, mean: F32, variance: F32): void;
  /** y[r, j] = x[r, j]·scale[j] + shift[j]. */
  scaleShiftRows?(x: F32, rows: number, cols: number, scale: F32, shift: F32, y: F32): void;
  /**
   * Batch-norm backward over [rows, cols] with x̂ = (x − mean)·rstd: fills sumG[j] = Σ g and
   * sumGX[j] = Σ g·x̂ (float64), then gx += scale[j]·g in eval mode, or in training mode
   * gx += scale[j]·(g − sumG[j]/rows − x̂·sumGX[j]/rows).
   */
  batchNormBackward?(
    g: F32,
    x: F32,
    rows: number,
    cols: number,
    mean: F32,
    rstd: F32,
    scale: F32,
    training: boolean,
    gx: F32,
    sumG: Float64Array,
    sumGX: Float64Array,
  ): void;
  /**
   * Inverted dropout with counter-based randomness (identical on every backend): for pair k the
   * 32-bit word dropoutWord(seedA, seedB, k) gives element 2k its low 16 bits and 2k+1 its high 16
   * bits; an element is kept when its 16 bits ≥ threshold16. mask = keep ? scale : 0, y = x·mask.
   */
  dropout?(
    x: F32,
    y: F32,
    mask: F32,
    n: number,
    threshold16: number,
    scale: number,
    seedA: number,
    seedB: number,
  ): void;
  /**
   * Adam's update without weight decay or amsgrad, in float32 with torch's operation order:
   * m = m·b1 + c1·g; v = v·b2 + (c2·g)·g; x += (negStepSize·m) / (sqrt(v)/bc2Sqrt + eps).
   */
  adamStep?(
    x: F32,
    g: F32,
    m: F32,
    v: F32,
    n: number,
    b1: number,
    b2: number,
    c1: number,
    c2: number,
    negStepSize: number,
    bc2Sqrt: number,
    eps: number,
  ): void;
  /** out[i] = a[i] + b[i] for i < n (out may alias a or b). */
  add?(a: F32, b: F32, out: F32, n: number): void;
  /** dst[i] += src[i] for i < n. */
  accumulate?(dst: F32, src: F32, n: number): void;
  /** out[i] = a[i]·b[i] for i < n (out may alias a or b). */
  mul?(a: F32, b: F32, out: F32, n: number): void;
}

export const ACT_NONE = 0;
export const ACT_RELU = 1;
export const ACT_TANH = 2;
export const ACT_SIGMOID = 3;
export const ACT_GELU = 4;

/** A backend with every optional kernel filled in (what the op layer calls). */
export type FullKernels = Required<Kernels>;

/** murmur3's 32-bit finalizer. */
function fmix32(h: number): number {
  let x = h >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b) >>> 0;
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

/** The random word of pair k for dropout: fmix32(fmix32(k·0x9E3779B9 + seedA) ^ seedB). */
export function dropoutWord(seedA: number, seedB: number, k: number): number {
  return fmix32((fmix32((Math.imul(k, 0x9e3779b9) + seedA) >>> 0) ^ seedB) >>> 0);
}
