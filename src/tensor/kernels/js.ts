// Reference kernels in plain TypeScript. They define the results every fast backend must reproduce
// (within float32 rounding for gemm, exactly for the index kernels) and are the fallback everywhere.

import type { F32, I32, Kernels } from './types.js';

function checkIndex(index: I32, limit: number, what: string): void {
  for (let i = 0; i < index.length; i++) {
    const v = index[i]!;
    if (v < 0 || v >= limit) {
      throw new RangeError(`${what}: index[${i}] = ${v} is outside [0, ${limit})`);
    }
  }
}

function checkLength(arr: ArrayLike<number>, need: number, what: string): void {
  if (arr.length < need) throw new RangeError(`${what}: needs ${need} elements, got ${arr.length}`);
}

export function gemmReference(
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
): void {
  if (m === 0 || n === 0) return;
  checkLength(c, (m - 1) * ldc + n, 'gemm C');
  if (k > 0) {
    checkLength(a, transA ? (k - 1) * lda + m : (m - 1) * lda + k, 'gemm A');
    checkLength(b, transB ? (n - 1) * ldb + k : (k - 1) * ldb + n, 'gemm B');
  }
  // Scale C first (beta = 0 overwrites, so NaN in C never leaks), then accumulate rank-1 updates
  // in i-p-j order: the inner loop runs along contiguous rows of B and C when B is not transposed.
  for (let i = 0; i < m; i++) {
    const ci = i * ldc;
    if (beta === 0) c.fill(0, ci, ci + n);
    else if (beta !== 1) for (let j = 0; j < n; j++) c[ci + j]! *= beta;
  }
  if (k === 0 || alpha === 0) return;
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
}

export const jsKernels: Kernels = {
  name: 'js',
  gemm: gemmReference,

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
