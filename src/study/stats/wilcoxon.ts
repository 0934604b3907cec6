// Wilcoxon signed-rank test, two-sided, in two flavours:
//
// `p` reproduces scipy.stats.wilcoxon in SciPy 1.10.1 with its defaults (zero_method='wilcox',
// correction=False, method='auto'), read from scipy/stats/_morestats.py — facts relied on:
// - 'auto' picks the exact null distribution when len(d) <= 50 counting zeros, else the normal
//   approximation; any zero difference switches 'exact' to the approximation (with a warning);
// - zeros are then dropped ('wilcox'), |d| get average ranks, statistic T = min(R+, R−);
// - exact mode ignores ties: it looks up int(R+) (truncation of a half-integer rank sum) in the
//   no-ties distribution, p = 1 when int(R+) == floor(N/2), else 2·min(P(R ≤ r), P(R ≥ r)), N = k(k+1)/2;
// - the approximation uses mean k(k+1)/4, variance (k(k+1)(2k+1) − ½Σ(t³ − t))/24 over tie groups,
//   z = (T − mean)/sd without continuity correction, p = 2·Φ(−|z|);
// - all differences zero raises ValueError in SciPy; here p = NaN with a reason.
//
// `exactP` is the exact conditional (permutation) p-value given the observed ranks, ties and all:
// under H0 each nonzero difference is + or − with probability ½, so R+ is a sum of independent
// {0, rank} terms. Doubled midranks are integers, so the distribution is a small integer DP (no 2^k
// enumeration). Without ties and zeros it equals SciPy's exact p. With n = 3–10 and ties SciPy's
// answer is either a truncated lookup or a normal approximation on very few points, so exactP is
// the better number; `p` stays the default for comparability with published SciPy results.
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import signrankCdf from '@stdlib/stats-base-dists-signrank-cdf';
import { assertFinite } from './validate.js';

export interface WilcoxonTest {
  /** Pairs given, zeros included. */
  n: number;
  nZeros: number;
  /** Nonzero differences: the effective sample size. */
  nNonzero: number;
  /** Whether nonzero |d| contain ties. */
  ties: boolean;
  rPlus: number;
  rMinus: number;
  /** SciPy's two-sided statistic min(R+, R−). */
  statistic: number;
  /** Which branch SciPy 1.10's method='auto' takes. */
  method: 'exact' | 'approx' | 'none';
  /** The z statistic of the normal approximation (only when method = 'approx'). */
  z?: number;
  /** SciPy-compatible two-sided p-value. */
  p: number;
  /** Exact conditional two-sided p-value given the observed ranks (ties and zeros handled). */
  exactP: number;
  /** Smallest two-sided exact p any data with nNonzero differences can give: 2^(1 − nNonzero). */
  minExactP: number;
  reason?: string;
}

/** SciPy 1.10's cut-off between the exact distribution and the normal approximation in 'auto'. */
export const EXACT_MAX_N = 50;

export function wilcoxonSignedRank(diffs: readonly number[]): WilcoxonTest {
  assertFinite(diffs, 'Wilcoxon differences');
  const n = diffs.length;
  const nonzero = diffs.filter((d) => d !== 0);
  const k = nonzero.length;
  const nZeros = n - k;
  const minExactP = k === 0 ? Number.NaN : Math.min(1, 2 ** (1 - k));
  const ranks = averageRanks(nonzero.map(Math.abs));
  let rPlus = 0;
  let rMinus = 0;
  for (let i = 0; i < k; i++) {
    if (nonzero[i]! > 0) rPlus += ranks[i]!;
    else rMinus += ranks[i]!;
  }
  const tieSizes = tieGroupSizes(ranks);
  const base = {
    n,
    nZeros,
    nNonzero: k,
    ties: tieSizes.some((t) => t > 1),
    rPlus,
    rMinus,
    statistic: Math.min(rPlus, rMinus),
    minExactP,
  };
  if (n === 0) return { ...base, method: 'none', p: Number.NaN, exactP: Number.NaN, reason: 'no pairs' };
  if (k === 0) {
    return {
      ...base,
      method: 'none',
      p: Number.NaN,
      exactP: Number.NaN,
      reason: `all ${n} differences are zero`,
    };
  }
  const exactP = exactConditionalP(nonzero, ranks);
  if (n <= EXACT_MAX_N && nZeros === 0) return { ...base, method: 'exact', p: scipyExactP(rPlus, k), exactP };
  const z = approxZ(base.statistic, k, tieSizes);
  return { ...base, method: 'approx', z, p: Math.min(1, 2 * normalCdf(-Math.abs(z), 0, 1)), exactP };
}

/** SciPy's exact branch: the no-ties distribution at int(R+). P(R ≥ r) is read as P(R ≤ N − r). */
function scipyExactP(rPlus: number, k: number): number {
  const r = Math.trunc(rPlus);
  const total = (k * (k + 1)) / 2;
  if (r === Math.floor(total / 2)) return 1;
  return Math.min(1, 2 * Math.min(signrankCdf(r, k), signrankCdf(total - r, k)));
}

function approxZ(statistic: number, k: number, tieSizes: readonly number[]): number {
  const mean = (k * (k + 1)) / 4;
  let v = k * (k + 1) * (2 * k + 1);
  for (const t of tieSizes) v -= 0.5 * (t * (t * t - 1));
  return (statistic - mean) / Math.sqrt(v / 24);
}

/**
 * Exact two-sided p of R+ given the ranks: counts[s] = number of sign assignments whose doubled
 * positive rank sum is s. The distribution is symmetric about half the total, so
 * p = min(1, 2·min(P(S ≤ s_obs), P(S ≥ s_obs))). Counts stay exact integers up to 2^53 (k ≤ 52).
 */
function exactConditionalP(nonzero: readonly number[], ranks: readonly number[]): number {
  const doubled = ranks.map((r) => Math.round(2 * r));
  const total = doubled.reduce((a, b) => a + b, 0);
  let counts = new Float64Array(total + 1);
  counts[0] = 1;
  let reach = 0;
  for (const r of doubled) {
    const next = counts.slice();
    for (let s = 0; s <= reach; s++) next[s + r]! += counts[s]!;
    counts = next;
    reach += r;
  }
  let observed = 0;
  for (let i = 0; i < nonzero.length; i++) if (nonzero[i]! > 0) observed += doubled[i]!;
  let le = 0;
  let ge = 0;
  for (let s = 0; s <= total; s++) {
    if (s <= observed) le += counts[s]!;
    if (s >= observed) ge += counts[s]!;
  }
  return Math.min(1, (2 * Math.min(le, ge)) / 2 ** nonzero.length);
}

/** Ranks 1..n with ties given their average rank (scipy.stats.rankdata's 'average'). */
export function averageRanks(xs: readonly number[]): number[] {
  const order = xs.map((_, i) => i).sort((i, j) => xs[i]! - xs[j]!);
  const ranks = new Array<number>(xs.length);
  for (let start = 0; start < order.length; ) {
    let end = start + 1;
    while (end < order.length && xs[order[end]!] === xs[order[start]!]) end++;
    const avg = (start + 1 + end) / 2;
    for (let i = start; i < end; i++) ranks[order[i]!] = avg;
    start = end;
  }
  return ranks;
}

/** Sizes of groups of equal ranks (1 for untied values). */
function tieGroupSizes(ranks: readonly number[]): number[] {
  const count = new Map<number, number>();
  for (const r of ranks) count.set(r, (count.get(r) ?? 0) + 1);
  return [...count.values()];
}
