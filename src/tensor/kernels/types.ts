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
}
