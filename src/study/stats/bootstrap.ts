// Percentile bootstrap confidence interval of the mean paired gain (Efron & Tibshirani 1993, §13.3):
// resample the n differences with replacement B times, take the mean of each resample, and report
// the (1 − c)/2 and (1 + c)/2 quantiles of those means, interpolated linearly between order
// statistics as numpy.percentile does (scipy.stats.bootstrap(method='percentile') does the same).
// Resampling draws from molgrove's seeded generator (T.Rng), so the interval is reproducible.
import { ConfigError } from '../../errors.js';
import { Rng } from '../../tensor/random.js';
import { mean } from './paired-t.js';
import { assertFinite } from './validate.js';

export interface BootstrapOptions {
  /** Number of resamples B (default 10,000). */
  resamples?: number;
  /** Confidence level c (default 0.95). */
  confidence?: number;
  /** Seed of the generator (default 0); ignored when `rng` is given. */
  seed?: number;
  rng?: Rng;
}

export interface BootstrapInterval {
  method: 'percentile';
  mean: number;
  low: number;
  high: number;
  confidence: number;
  resamples: number;
  /** Why the interval is degenerate, when it is. */
  reason?: string;
}

export const DEFAULT_RESAMPLES = 10_000;

export function bootstrapMeanCI(diffs: readonly number[], options: BootstrapOptions = {}): BootstrapInterval {
  assertFinite(diffs, 'bootstrap differences');
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw new ConfigError(`bootstrap resamples must be a positive integer, got ${resamples}`);
  }
  if (!(confidence > 0 && confidence < 1))
    throw new ConfigError(`bootstrap confidence must be in (0, 1), got ${confidence}`);
  const n = diffs.length;
  const base = { method: 'percentile' as const, confidence, resamples };
  if (n === 0) return { ...base, mean: Number.NaN, low: Number.NaN, high: Number.NaN, reason: 'no pairs' };
  const m = mean(diffs);
  const first = diffs[0]!;
  // Every resample of identical values is that value: a point, stated exactly (summing n copies and
  // dividing by n can be off by an ulp).
  if (diffs.every((d) => d === first)) {
    const reason =
      n === 1
        ? 'one pair: the interval is a single point'
        : 'all differences are equal: the interval is a single point';
    return { ...base, mean: first, low: first, high: first, reason };
  }
  const rng = options.rng ?? new Rng(options.seed ?? 0);
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += diffs[rng.int(n)]!;
    means[b] = s / n;
  }
  means.sort();
  const tail = (1 - confidence) / 2;
  return { ...base, mean: m, low: quantile(means, tail), high: quantile(means, 1 - tail) };
}

/** numpy.percentile's default 'linear' rule on sorted values: position (B − 1)·q. */
export function quantile(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}
