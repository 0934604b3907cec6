// Reference kernels in plain TypeScript. They define the results every fast backend must reproduce
// (within float32 rounding for gemm, exactly for the index kernels) and are the fallback everywhere.

import { checkIndex, checkLength, scaleC } from './checks.js';
import { jsStreamKernels } from './js-stream.js';
import type { F32, FullKernels, Kernels } from './types.js';

/**
 * The part of every GEMM before the product: argument sizes checked, C scaled by beta (beta = 0
 * overwrites, so NaN in C never leaks). Returns false when nothing is left to add.
 */
export function gemmPrologue(...args: Parameters<Kernels['gemm']>): boolean {
  const [transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc] = args;
  if (m === 0 || n === 0) return false;
  checkLength(c, (m - 1) * ldc + n, 'gemm C');
  if (k > 0) {
    checkLength(a, transA ? (k - 1) * lda + m : (m - 1) * lda + k, 'gemm A');
    checkLength(b, transB ? (n - 1) * ldb + k : (k - 1) * ldb + n, 'gemm B');
  }
  scaleC(m, n, beta, c, ldc);
  return k > 0 && alpha !== 0;
}

export const gemmReference: Kernels['gemm'] = (
  transA,
  transB,
  m,
  n,
  k,
  alpha,
  a,
  lda,
  b,
  ldb,
  beta,
  c,
  ldc,
) => {
  if (!gemmPrologue(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)) return;
  // Rank-1 updates in i-p-j order: the inner loop runs along contiguous rows of B and C when B is
  // not transposed.
  for (let i = 0; i < m; i++) {
    const ci = i * ldc;
    for (let p = 0; p < k; p++) {
      const av = alpha * (transA ? a[p * lda + i]! : a[i * lda + p]!);
      if (av === 0) continue;
      if (transB) {
        for (let j = 0; j < n; j++) c[ci + j]! += av * b[j * ldb + p]!;
      } else {
        const bp = p * ldb;
        for (let j = 0; j < n; j++) c[ci + j]! += av * b[bp + j]!;
      }
    }
  }
};

let scratchA = new Float32Array(0);

/** dst (cols×rows, dense) = srcᵀ for src rows×cols with row stride ld, in cache-sized tiles. */
function transposeInto(src: F32, ld: number, rows: number, cols: number, dst: F32): void {
  const TILE = 32;
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let r = r0; r < r1; r++) {
        const s = r * ld;
        for (let c = c0; c < c1; c++) dst[c * rows + r] = src[s + c]!;
      }
    }
  }
}
let scratchB = new Float32Array(0);

/**
 * The JS backend's GEMM: same contract as gemmReference, arranged for plain-JS speed. Both operands
 * are brought to "dot form" (op(A) row-major m×k, op(B)ᵀ row-major n×k; copies cost O(mk + nk), small
 * next to O(mnk)), then a 2×4 block of C is computed from 8 running dot products over contiguous rows.
 */
export const gemmBlocked: Kernels['gemm'] = (
  transA,
  transB,
  m,
  n,
  k,
  alpha,
  a,
  lda,
  b,
  ldb,
  beta,
  c,
  ldc,
) => {
  if (!gemmPrologue(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)) return;
  let A = a;
  let sa = lda;
  if (transA) {
    if (scratchA.length < m * k) scratchA = new Float32Array(m * k);
    A = scratchA;
    transposeInto(a, lda, k, m, A);
    sa = k;
  }
  let B = b;
  let sb = ldb;
  if (!transB) {
    if (scratchB.length < n * k) scratchB = new Float32Array(n * k);
    B = scratchB;
    transposeInto(b, ldb, k, n, B);
    sb = k;
  }
  let i = 0;
  for (; i + 2 <= m; i += 2) {
    const a0 = i * sa;
    const a1 = a0 + sa;
    const c0 = i * ldc;
    const c1 = c0 + ldc;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const b0 = j * sb;
      const b1 = b0 + sb;
      const b2 = b1 + sb;
      const b3 = b2 + sb;
      let s00 = 0;
      let s01 = 0;
      let s02 = 0;
      let s03 = 0;
      let s10 = 0;
      let s11 = 0;
      let s12 = 0;
      let s13 = 0;
      for (let p = 0; p < k; p++) {
        const x0 = A[a0 + p]!;
        const x1 = A[a1 + p]!;
        const y0 = B[b0 + p]!;
        const y1 = B[b1 + p]!;
        const y2 = B[b2 + p]!;
        const y3 = B[b3 + p]!;
        s00 += x0 * y0;
        s01 += x0 * y1;
        s02 += x0 * y2;
        s03 += x0 * y3;
        s10 += x1 * y0;
        s11 += x1 * y1;
        s12 += x1 * y2;
        s13 += x1 * y3;
      }
      c[c0 + j]! += alpha * s00;
      c[c0 + j + 1]! += alpha * s01;
      c[c0 + j + 2]! += alpha * s02;
      c[c0 + j + 3]! += alpha * s03;
      c[c1 + j]! += alpha * s10;
      c[c1 + j + 1]! += alpha * s11;
      c[c1 + j + 2]! += alpha * s12;
      c[c1 + j + 3]! += alpha * s13;
    }
    for (; j < n; j++) {
      const bj = j * sb;
      let s0 = 0;
      let s1 = 0;
      for (let p = 0; p < k; p++) {
        s0 += A[a0 + p]! * B[bj + p]!;
        s1 += A[a1 + p]! * B[bj + p]!;
      }
      c[c0 + j]! += alpha * s0;
      c[c1 + j]! += alpha * s1;
    }
  }
  for (; i < m; i++) {
    const a0 = i * sa;
    const c0 = i * ldc;
    for (let j = 0; j < n; j++) {
      const bj = j * sb;
      let s = 0;
      for (let p = 0; p < k; p++) s += A[a0 + p]! * B[bj + p]!;
      c[c0 + j]! += alpha * s;
    }
  }
};

export const jsKernels: FullKernels = {
  ...jsStreamKernels,
  name: 'js',
  gemm: gemmBlocked,

  gatherRows(src, cols, index, out, accumulate) {
    checkLength(out, index.length * cols, 'gatherRows out');
    checkIndex(index, cols === 0 ? Number.MAX_SAFE_INTEGER : Math.floor(src.length / cols), 'gatherRows');
    for (let i = 0; i < index.length; i++) {
      const s = index[i]! * cols;
      const o = i * cols;
      if (accumulate) for (let c = 0; c < cols; c++) out[o + c]! += src[s + c]!;
      else for (let c = 0; c < cols; c++) out[o + c] = src[s + c]!;
    }
  },

  scatterAddRows(src, cols, index, out) {
    checkLength(src, index.length * cols, 'scatterAddRows src');
    checkIndex(index, cols === 0 ? Number.MAX_SAFE_INTEGER : Math.floor(out.length / cols), 'scatterAddRows');
    for (let i = 0; i < index.length; i++) {
      const o = index[i]! * cols;
      const s = i * cols;
      for (let c = 0; c < cols; c++) out[o + c]! += src[s + c]!;
    }
  },

  gatherScatterAddRows(src, cols, srcIndex, dstIndex, out) {
    if (srcIndex.length !== dstIndex.length) {
      throw new RangeError(
        `gatherScatterAddRows: ${srcIndex.length} source but ${dstIndex.length} destination indices`,
      );
    }
    checkIndex(
      srcIndex,
      cols === 0 ? Number.MAX_SAFE_INTEGER : Math.floor(src.length / cols),
      'gatherScatterAddRows source',
    );
    checkIndex(
      dstIndex,
      cols === 0 ? Number.MAX_SAFE_INTEGER : Math.floor(out.length / cols),
      'gatherScatterAddRows destination',
    );
    for (let i = 0; i < srcIndex.length; i++) {
      const s = srcIndex[i]! * cols;
      const o = dstIndex[i]! * cols;
      for (let c = 0; c < cols; c++) out[o + c]! += src[s + c]!;
    }
  },

  segmentMaxRows(src, cols, index, numSegments, out, argmax) {
    checkLength(src, index.length * cols, 'segmentMaxRows src');
    checkLength(out, numSegments * cols, 'segmentMaxRows out');
    checkLength(argmax, numSegments * cols, 'segmentMaxRows argmax');
    checkIndex(index, numSegments, 'segmentMaxRows');
    argmax.fill(-1, 0, numSegments * cols);
    out.fill(0, 0, numSegments * cols);
    for (let i = 0; i < index.length; i++) {
      const o = index[i]! * cols;
      const s = i * cols;
      for (let c = 0; c < cols; c++) {
        const v = src[s + c]!;
        // Strict > keeps the first row on ties; NaN never wins (as a NaN-free max would).
        if (argmax[o + c] === -1 || v > out[o + c]!) {
          out[o + c] = v;
          argmax[o + c] = i;
        }
      }
    }
  },
};
