/**
 * Summation in numpy's order (pairwise, blocks of 8 accumulators, 128-element leaves), so sums match
 * scikit-learn bit for bit. It matters for R²: sklearn's constant-target rule only fires when the mean
 * comes out exactly equal to the constant, and whether it does depends on the summation order.
 */
const BLOCK = 128;

export function numpySum(a: ArrayLike<number>, start = 0, n: number = a.length - start): number {
  if (n < 8) {
    let s = 0;
    for (let i = start; i < start + n; i++) s += a[i]!;
    return s;
  }
  if (n <= BLOCK) {
    let r0 = a[start]!;
    let r1 = a[start + 1]!;
    let r2 = a[start + 2]!;
    let r3 = a[start + 3]!;
    let r4 = a[start + 4]!;
    let r5 = a[start + 5]!;
    let r6 = a[start + 6]!;
    let r7 = a[start + 7]!;
    const whole = n - (n % 8);
    let i = 8;
    for (; i < whole; i += 8) {
      const k = start + i;
      r0 += a[k]!;
      r1 += a[k + 1]!;
      r2 += a[k + 2]!;
      r3 += a[k + 3]!;
      r4 += a[k + 4]!;
      r5 += a[k + 5]!;
      r6 += a[k + 6]!;
      r7 += a[k + 7]!;
    }
    let s = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) s += a[start + i]!;
    return s;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return numpySum(a, start, half) + numpySum(a, start + half, n - half);
}

/** Arithmetic mean as `np.mean` computes it: numpy-order sum, then one division. */
export function numpyMean(a: ArrayLike<number>): number {
  return numpySum(a) / a.length;
}
