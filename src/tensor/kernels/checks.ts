// Argument checks shared by the kernels of every backend, so their errors read the same.

import type { F32, I32 } from './types.js';

export function checkIndex(index: I32, limit: number, what: string): void {
  for (let i = 0; i < index.length; i++) {
    const v = index[i]!;
    if (v < 0 || v >= limit) {
      throw new RangeError(`${what}: index[${i}] = ${v} is outside [0, ${limit})`);
    }
  }
}

export function checkLength(arr: ArrayLike<number>, need: number, what: string): void {
  if (arr.length < need) throw new RangeError(`${what}: needs ${need} elements, got ${arr.length}`);
}

/** C = beta·C on m×n with row stride ldc (beta = 0 overwrites, so NaN in C never leaks). */
export function scaleC(m: number, n: number, beta: number, c: F32, ldc: number): void {
  if (beta === 1) return;
  for (let i = 0; i < m; i++) {
    const ci = i * ldc;
    if (beta === 0) c.fill(0, ci, ci + n);
    else for (let j = 0; j < n; j++) c[ci + j]! *= beta;
  }
}
