// A study's statistics in one call: pair each comparison by seed/split key, run the paired t-test,
// the Wilcoxon signed-rank test and a percentile bootstrap of the mean gain, Holm-adjust the primary
// test's p-values across the whole family of comparisons, and word a one-line verdict for each.
//
// The primary test defaults to Wilcoxon: with 3–10 seeds the normality the t-test leans on cannot be
// checked, and Demšar (2006, JMLR 7) recommends the signed-rank test for paired comparisons of
// learners. Its price is power: k nonzero differences can never give an exact two-sided p below
// 2^(1−k), so at α = 0.05 fewer than 6 nonzero pairs are "not testable" — the verdict says so
// rather than reporting a hopeless "not significant". That judgement uses the exact bound even when
// SciPy's p (the default p reported) comes from its normal approximation, which can dip below it.
// Every comparison with a defined p belongs to the Holm family, testable or not; NaN p-values do not.
import { ConfigError } from '../../errors.js';
import { Rng } from '../../tensor/random.js';
import { type AverageGain, averageGain } from './average-gain.js';
import { type BootstrapInterval, bootstrapMeanCI, DEFAULT_RESAMPLES } from './bootstrap.js';
import { holm } from './holm.js';
import { type PairedTTest, pairedTTest } from './paired-t.js';
import { type Direction, pairByKey, type ValuesByKey } from './pairing.js';
import { assertAlpha } from './validate.js';
import { type WilcoxonTest, wilcoxonSignedRank } from './wilcoxon.js';

export interface Comparison {
  dataset: string;
  arm: string;
  metric: string;
  direction: Direction;
  /** Baseline metric value per seed/split key. */
  baseline: ValuesByKey;
  /** Arm metric value per seed/split key. */
  values: ValuesByKey;
}

export type PrimaryTest = 'wilcoxon' | 't';

export interface StudyStatsOptions {
  /** Family-wise significance level (default 0.05). */
  alpha?: number;
  /** Test whose Holm-adjusted p decides the verdict (default 'wilcoxon'). */
  primary?: PrimaryTest;
  /** Which Wilcoxon p feeds Holm: SciPy 1.10's (default) or the exact one under ties/zeros. */
  wilcoxonP?: 'scipy' | 'exact';
  /** Bootstrap resamples (default 10,000), confidence (default 0.95) and seed (default 0). */
  bootstrap?: { resamples?: number; confidence?: number; seed?: number };
  /** How the verdict prints a mean gain of a metric (default: 3 significant digits, raw scale). */
  formatGain?: (gain: number, metric: string) => string;
}

export interface ComparisonResult {
  dataset: string;
  arm: string;
  metric: string;
  direction: Direction;
  keys: string[];
  missingInArm: string[];
  missingInBaseline: string[];
  /** Per-key gains, positive = arm better. */
  gains: number[];
  meanGain: number;
  ttest: PairedTTest;
  wilcoxon: WilcoxonTest;
  bootstrap: BootstrapInterval;
  primary: PrimaryTest;
  /** The primary test's unadjusted p-value. */
  p: number;
  /** Holm-adjusted across the study's family; NaN when p is. */
  pHolm: number;
  testable: boolean;
  significant: boolean;
  verdict: string;
}

export interface StudyStats {
  alpha: number;
  primary: PrimaryTest;
  /** Number of comparisons with a defined p-value (Holm's m). */
  familySize: number;
  comparisons: ComparisonResult[];
  /** Per (arm, metric): Sun et al.'s average over datasets of the mean gain. */
  averageGains: AverageGain[];
}

export function studyStats(comparisons: readonly Comparison[], options: StudyStatsOptions = {}): StudyStats {
  const alpha = options.alpha ?? 0.05;
  assertAlpha(alpha);
  const primary = options.primary ?? 'wilcoxon';
  if (primary !== 'wilcoxon' && primary !== 't')
    throw new ConfigError(`primary test must be 'wilcoxon' or 't', got ${String(primary)}`);
  const wilcoxonP = options.wilcoxonP ?? 'scipy';
  if (wilcoxonP !== 'scipy' && wilcoxonP !== 'exact')
    throw new ConfigError(`wilcoxonP must be 'scipy' or 'exact', got ${String(wilcoxonP)}`);
  const boot = options.bootstrap ?? {};
  const seed = boot.seed ?? 0;
  const formatGain = options.formatGain ?? rawGain;

  const partial = comparisons.map((c) => {
    const what = `${c.dataset}/${c.arm}/${c.metric}`;
    const pairs = pairByKey(c.baseline, c.values, c.direction, what);
    const ttest = pairedTTest(pairs.gains);
    const wilcoxon = wilcoxonSignedRank(pairs.gains);
    const bootstrap = bootstrapMeanCI(pairs.gains, {
      resamples: boot.resamples ?? DEFAULT_RESAMPLES,
      confidence: boot.confidence ?? 0.95,
      rng: new Rng((fnv1a(`${c.dataset}\u0000${c.arm}\u0000${c.metric}`) ^ Math.trunc(seed)) >>> 0),
    });
    const p = primary === 't' ? ttest.p : wilcoxonP === 'exact' ? wilcoxon.exactP : wilcoxon.p;
    return { c, pairs, ttest, wilcoxon, bootstrap, p };
  });
  const adjusted = holm(partial.map((r) => r.p));

  const results = partial.map(({ c, pairs, ttest, wilcoxon, bootstrap, p }, i): ComparisonResult => {
    const pHolm = adjusted[i]!;
    const untestable = notTestableReason(primary, ttest, wilcoxon, alpha);
    const significant = untestable === null && pHolm <= alpha;
    return {
      dataset: c.dataset,
      arm: c.arm,
      metric: c.metric,
      direction: c.direction,
      keys: pairs.keys,
      missingInArm: pairs.missingInArm,
      missingInBaseline: pairs.missingInBaseline,
      gains: pairs.gains,
      meanGain: ttest.meanDiff,
      ttest,
      wilcoxon,
      bootstrap,
      primary,
      p,
      pHolm,
      testable: untestable === null,
      significant,
      verdict:
        untestable !== null
          ? `not testable: ${untestable}`
          : verdictLine(significant, alpha, primary, pHolm, formatGain(ttest.meanDiff, c.metric)),
    };
  });
  return {
    alpha,
    primary,
    familySize: partial.filter((r) => !Number.isNaN(r.p)).length,
    comparisons: results,
    averageGains: averageGains(results),
  };
}

/** Null when the primary test can reach significance at α; otherwise the reason it cannot. */
function notTestableReason(
  primary: PrimaryTest,
  ttest: PairedTTest,
  w: WilcoxonTest,
  alpha: number,
): string | null {
  const pairs = `${w.n} ${w.n === 1 ? 'pair' : 'pairs'}`;
  if (w.n === 0) return 'no pairs';
  if (primary === 't') {
    if (Number.isNaN(ttest.p)) return `${pairs}, ${ttest.reason ?? 'the t-test is undefined'}`;
    return null;
  }
  if (w.nNonzero === 0) return `${pairs}, all differences are zero`;
  if (w.minExactP > alpha) {
    const zeros = w.nZeros > 0 ? ` (${w.nZeros} with zero difference)` : '';
    return `${pairs}${zeros}, the smallest possible Wilcoxon p is ${formatP(w.minExactP)}`;
  }
  return null;
}

const rawGain = (g: number): string => `${g >= 0 ? '+' : ''}${Number(g.toPrecision(3))}`;

function verdictLine(
  significant: boolean,
  alpha: number,
  primary: PrimaryTest,
  pHolm: number,
  gain: string,
): string {
  const test = primary === 't' ? 'paired t' : 'Wilcoxon';
  return `${significant ? 'significant' : 'not significant'} at α = ${alpha} (Holm-adjusted ${test} p = ${formatP(pHolm)}); mean gain ${gain}`;
}

/** Two significant digits; scientific notation below 0.001. */
export function formatP(p: number): string {
  if (Number.isNaN(p)) return 'NaN';
  if (p === 0) return '0';
  return p < 0.001 ? p.toExponential(1) : String(Number(p.toPrecision(2)));
}

function averageGains(results: readonly ComparisonResult[]): AverageGain[] {
  const groups = new Map<string, ComparisonResult[]>();
  for (const r of results) {
    const key = `${r.arm}\u0000${r.metric}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((rs) =>
    averageGain(
      rs[0]!.arm,
      rs[0]!.metric,
      rs.map((r) => ({ dataset: r.dataset, meanGain: r.meanGain })),
    ),
  );
}

/** 32-bit FNV-1a of a string: a per-comparison bootstrap stream that does not depend on order. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
