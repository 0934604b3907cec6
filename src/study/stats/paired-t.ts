// Paired t-test on per-seed/per-split differences, matching scipy.stats.ttest_rel (SciPy 1.10):
// d = a − b, t = mean(d) / (sd(d, ddof = 1) / √n), df = n − 1, two-sided p = 2·F_t(−|t|; df).
// The lower tail is used on both sides so that tiny p-values keep their relative precision.
import tCdf from '@stdlib/stats-base-dists-t-cdf';
import { assertFinite } from './validate.js';

export interface PairedTTest {
  /** Number of pairs. */
  n: number;
  /** Mean of the differences (the mean paired gain). */
  meanDiff: number;
  /** Sample standard deviation of the differences (ddof = 1); NaN for n < 2. */
  sdDiff: number;
  t: number;
  df: number;
  /** Two-sided p-value; NaN when the test is undefined (see `reason`). */
  p: number;
  /** Why the result is degenerate, when it is. */
  reason?: string;
}

/**
 * Two-sided paired t-test of the differences `diffs` (arm − baseline, or direction-adjusted gains).
 * Degenerate cases follow SciPy: n < 2 gives t = p = NaN; identical differences give zero variance,
 * so t = ±∞ and p = 0 when they are nonzero, and t = p = NaN when they are all zero. (SciPy reaches
 * these by dividing by zero; it can instead return a huge finite t when rounding leaves a variance
 * of 1e-34 — here identical differences are detected exactly, so the answer does not hinge on that.)
 */
export function pairedTTest(diffs: readonly number[]): PairedTTest {
  assertFinite(diffs, 'paired t-test differences');
  const n = diffs.length;
  const df = n - 1;
  if (n === 0)
    return {
      n,
      meanDiff: Number.NaN,
      sdDiff: Number.NaN,
      t: Number.NaN,
      df,
      p: Number.NaN,
      reason: 'no pairs',
    };
  const meanDiff = mean(diffs);
  if (n < 2) {
    return {
      n,
      meanDiff,
      sdDiff: Number.NaN,
      t: Number.NaN,
      df,
      p: Number.NaN,
      reason: 'one pair: the paired t-test needs at least 2',
    };
  }
  const first = diffs[0]!;
  if (diffs.every((d) => d === first)) {
    if (first === 0) {
      return {
        n,
        meanDiff: 0,
        sdDiff: 0,
        t: Number.NaN,
        df,
        p: Number.NaN,
        reason: 'all differences are zero (t = 0/0)',
      };
    }
    const t = first > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    return {
      n,
      meanDiff: first,
      sdDiff: 0,
      t,
      df,
      p: 0,
      reason: 'zero variance: all differences are equal, so t is infinite and p = 0 (as in SciPy)',
    };
  }
  let ss = 0;
  for (const d of diffs) ss += (d - meanDiff) ** 2;
  const sdDiff = Math.sqrt(ss / df);
  const t = meanDiff / (sdDiff / Math.sqrt(n));
  return { n, meanDiff, sdDiff, t, df, p: Math.min(1, 2 * tCdf(-Math.abs(t), df)) };
}

export function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}
