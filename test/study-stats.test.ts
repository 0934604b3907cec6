import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ConfigError } from '../src/errors.js';
import {
  averageGain,
  bootstrapMeanCI,
  type Comparison,
  holm,
  pairByKey,
  pairedTTest,
  studyStats,
  wilcoxonSignedRank,
} from '../src/study/stats/index.js';

// Ground truth: SciPy 1.10.1 via scripts/fixtures/gen_study_stats.py. Non-finite numbers are strings.
type Num = number | 'NaN' | 'Infinity' | '-Infinity';
const num = (x: Num): number => (typeof x === 'number' ? x : Number(x));
function fixture<T>(name: string): T[] {
  const text = readFileSync(new URL(`../../test/fixtures/study-stats/${name}`, import.meta.url), 'utf8');
  return (JSON.parse(text) as { cases: T[] }).cases;
}

interface PairedCase {
  name: string;
  a: number[];
  b: number[];
  ttest: { t: Num; p: Num; df: Num; meanDiff: Num };
  wilcoxon: { statistic: Num; p: Num; error: string | null; method: string; ties: boolean; nZeros: number };
  exactP: Num | null;
}
const paired = fixture<PairedCase>('paired.json');
const diffsOf = (c: PairedCase): number[] => c.a.map((x, i) => x - c.b[i]!);

/** |actual − expected| ≤ rel·|expected| + abs, with NaN and ±∞ matched exactly. */
function close(actual: number, expected: number, rel: number, abs: number, what: string): void {
  if (!Number.isFinite(expected)) {
    assert.ok(Object.is(actual, expected), `${what}: ${actual} vs ${expected}`);
    return;
  }
  assert.ok(
    Math.abs(actual - expected) <= rel * Math.abs(expected) + abs,
    `${what}: ${actual} vs ${expected}`,
  );
}

// t: same formula as SciPy, but numpy sums pairwise (8-way unrolled) and we sum left to right, so the
// last bits of mean/variance may differ — 1e-12 relative is a thousand ulps of slack. p: stdlib's
// t CDF and cephes' stdtr both use the regularized incomplete beta to ~1e-15 relative (checked: the
// two agree to ~2e-15 on these inputs); 1e-10 relative leaves room for the propagated t difference.
test('paired t-test matches scipy.stats.ttest_rel', () => {
  for (const c of paired) {
    const r = pairedTTest(diffsOf(c));
    close(r.t, num(c.ttest.t), 1e-12, 0, `${c.name} t`);
    close(r.p, num(c.ttest.p), 1e-10, 1e-300, `${c.name} p`);
    if (r.n >= 1) close(r.meanDiff, num(c.ttest.meanDiff), 1e-12, 1e-16, `${c.name} mean`);
    assert.equal(r.df, num(c.ttest.df), `${c.name} df`);
  }
  assert.match(pairedTTest([0.1]).reason ?? '', /at least 2/);
  assert.match(pairedTTest([2, 2, 2]).reason ?? '', /zero variance/);
  assert.ok(Number.isNaN(pairedTTest([]).p));
});

// Exact branch: p-values are dyadic rationals (count/2^k) that SciPy sums exactly; stdlib's signrank
// CDF multiplies integer weights by exp(−k ln 2), ~1e-16 relative, so 1e-12 absolute is generous.
// Approx branch: both sides evaluate 2Φ(−|z|) through erfc to ~1e-15; z is the same arithmetic, so
// 1e-10 relative. The statistic min(R+, R−) is a sum of half-integers: exact.
test('Wilcoxon p matches scipy.stats.wilcoxon 1.10 defaults, including its branch choice', () => {
  for (const c of paired) {
    const r = wilcoxonSignedRank(diffsOf(c));
    assert.equal(r.method, c.wilcoxon.method, `${c.name} method`);
    assert.equal(r.ties, c.wilcoxon.ties, `${c.name} ties`);
    assert.equal(r.nZeros, c.wilcoxon.nZeros, `${c.name} zeros`);
    if (c.wilcoxon.error !== null) {
      assert.ok(Number.isNaN(r.p), `${c.name}: SciPy raised, we return NaN`);
      assert.match(r.reason ?? '', /zero/);
      continue;
    }
    assert.equal(r.statistic, num(c.wilcoxon.statistic), `${c.name} statistic`);
    if (r.method === 'exact') close(r.p, num(c.wilcoxon.p), 0, 1e-12, `${c.name} exact p`);
    else close(r.p, num(c.wilcoxon.p), 1e-10, 0, `${c.name} approx p`);
  }
  // SciPy's int(R+) under ties makes the p depend on which side is called positive.
  const ties = paired.find((c) => c.name === 'ties')!;
  const flipped = paired.find((c) => c.name === 'ties-flipped')!;
  assert.notEqual(wilcoxonSignedRank(diffsOf(ties)).p, wilcoxonSignedRank(diffsOf(flipped)).p);
  assert.equal(wilcoxonSignedRank(diffsOf(ties)).exactP, wilcoxonSignedRank(diffsOf(flipped)).exactP);
});

// The fixture enumerates all 2^k sign assignments; our DP must give the same rational number.
test('exact Wilcoxon p under ties and zeros matches brute-force enumeration', () => {
  let checked = 0;
  for (const c of paired) {
    if (c.exactP === null) continue;
    close(wilcoxonSignedRank(diffsOf(c)).exactP, num(c.exactP), 0, 1e-14, `${c.name} exactP`);
    checked++;
  }
  assert.ok(checked >= 15);
  // Without ties or zeros, the exact conditional p is SciPy's exact p.
  for (const c of paired) {
    const r = wilcoxonSignedRank(diffsOf(c));
    if (r.method === 'exact' && !r.ties) close(r.exactP, r.p, 0, 1e-12, `${c.name} exactP = p`);
  }
  assert.equal(wilcoxonSignedRank([0.1, 0.2, 0.3]).minExactP, 0.25);
  assert.equal(wilcoxonSignedRank([0.1, 0.2, 0.3]).exactP, 0.25);
});

// Holm is a few multiplications and a running max: the same operations as the fixture's
// by-definition computation, so equality up to one rounding.
test('Holm adjustment matches the step-down definition; NaN is left out of the family', () => {
  for (const c of fixture<{ name: string; p: Num[]; adjusted: Num[] }>('holm.json')) {
    const got = holm(c.p.map(num));
    assert.equal(got.length, c.adjusted.length);
    for (const [i, g] of got.entries()) close(g, num(c.adjusted[i]!), 0, 1e-15, `${c.name}[${i}]`);
  }
  assert.throws(() => holm([0.5, 1.5]), ConfigError);
});

// Percentile interval vs SciPy with 10^6 resamples (its own Monte Carlo error is ~10× smaller than
// ours). A quantile estimated from B = 10^4 resamples has standard error ≈ √(q(1−q)/B)/f(x_q); for a
// roughly normal bootstrap distribution at q = 0.025 that is ≈ 0.027·SE_boot. We allow 0.2·SE_boot,
// over 7 standard errors, so a correct implementation fails with negligible probability for any seed.
test('bootstrap percentile interval agrees with scipy.stats.bootstrap within Monte Carlo error', () => {
  interface BootCase {
    name: string;
    d: number[];
    low: number;
    high: number;
    bootstrapSE: number;
  }
  for (const c of fixture<BootCase>('bootstrap.json')) {
    const r = bootstrapMeanCI(c.d, { seed: 1 });
    assert.equal(r.resamples, 10_000);
    close(r.low, c.low, 0, 0.2 * c.bootstrapSE, `${c.name} low`);
    close(r.high, c.high, 0, 0.2 * c.bootstrapSE, `${c.name} high`);
  }
});

test('bootstrap interval: reproducible, contains the mean, narrows with n, degenerate cases', () => {
  const d = [0.012, -0.004, 0.019, 0.011, -0.003, 0.018, 0.001, 0.014, 0.014, 0.012];
  assert.deepEqual(bootstrapMeanCI(d, { seed: 5 }), bootstrapMeanCI(d, { seed: 5 }));
  assert.notDeepEqual(bootstrapMeanCI(d, { seed: 5 }), bootstrapMeanCI(d, { seed: 6 }));
  const r = bootstrapMeanCI(d, { seed: 5 });
  assert.ok(r.low < r.mean && r.mean < r.high);
  const wide = bootstrapMeanCI(d.slice(0, 4), { seed: 5 });
  const narrow = bootstrapMeanCI([...d, ...d, ...d, ...d], { seed: 5 });
  assert.ok(narrow.high - narrow.low < r.high - r.low && r.high - r.low < wide.high - wide.low);
  const point = bootstrapMeanCI([0.1, 0.1, 0.1]);
  assert.deepEqual([point.low, point.mean, point.high], [0.1, 0.1, 0.1]);
  const one = bootstrapMeanCI([0.3]);
  assert.deepEqual([one.low, one.high], [0.3, 0.3]);
  assert.match(one.reason ?? '', /one pair/);
  assert.throws(() => bootstrapMeanCI(d, { resamples: 0 }), ConfigError);
});

const seeds = (xs: number[]): Record<string, number> => Object.fromEntries(xs.map((x, i) => [`seed${i}`, x]));

test('pairing by key reports missing partners and orients gains by metric direction', () => {
  const p = pairByKey(
    { s0: 1.0, s1: 0.8, s2: 0.5 },
    new Map([
      ['s1', 0.6],
      ['s0', 0.9],
      ['s3', 0.1],
    ]),
    'lower',
  );
  assert.deepEqual(p.keys, ['s0', 's1']);
  assert.deepEqual(p.missingInArm, ['s2']);
  assert.deepEqual(p.missingInBaseline, ['s3']);
  assert.deepEqual(p.gains, [1.0 - 0.9, 0.8 - 0.6]);
  assert.deepEqual(pairByKey({ a: 1 }, { a: 3 }, 'higher').gains, [2]);
  assert.throws(() => pairByKey({ a: Number.NaN }, { a: 1 }, 'higher'), ConfigError);
});

test('study verdicts: Holm across the family, untestable small studies, average gain', () => {
  const cases = new Map(paired.map((c) => [c.name, c]));
  const comparison = (dataset: string, name: string): Comparison => {
    const c = cases.get(name)!;
    return {
      dataset,
      arm: 'pre',
      metric: 'roc-auc',
      direction: 'higher',
      baseline: seeds(c.b),
      values: seeds(c.a),
    };
  };
  const family = [
    comparison('bbbp', 'n10-mixed'),
    comparison('tox21', 'wilcoxon-significant-t-not'),
    comparison('bace', 'n3-all-positive'),
    comparison('sider', 'all-zero'),
  ];
  const s = studyStats(family, { bootstrap: { resamples: 2000 } });
  assert.equal(s.primary, 'wilcoxon');
  assert.equal(s.familySize, 3); // the all-zero comparison has no p
  const [bbbp, tox21, bace, sider] = s.comparisons;
  // Holm with m = 3: 0.01953125 smallest → ×3; 0.0341796875 → max(×2, previous).
  close(bbbp!.pHolm, 3 * 0.01953125, 0, 1e-12, 'bbbp');
  close(tox21!.pHolm, Math.max(2 * 0.0341796875, 3 * 0.01953125), 0, 1e-12, 'tox21');
  assert.equal(
    bbbp!.verdict,
    'not significant at α = 0.05 (Holm-adjusted Wilcoxon p = 0.059); mean gain +0.0094',
  );
  assert.equal(bace!.verdict, 'not testable: 3 pairs, the smallest possible Wilcoxon p is 0.25');
  assert.equal(sider!.verdict, 'not testable: 3 pairs, all differences are zero');
  assert.ok(Number.isNaN(sider!.pHolm));
  // Alone, the 12-pair comparison is significant; the t-test as primary is not.
  const alone = studyStats([family[1]!], { bootstrap: { resamples: 500 } }).comparisons[0]!;
  assert.equal(alone.verdict, 'significant at α = 0.05 (Holm-adjusted Wilcoxon p = 0.034); mean gain +0.213');
  const byT = studyStats([family[1]!], { primary: 't', bootstrap: { resamples: 500 } }).comparisons[0]!;
  assert.match(byT.verdict, /^not significant at α = 0\.05 \(Holm-adjusted paired t p = 0\.8\)/);
  // With zeros, SciPy's normal approximation gives p < 0.05 from 5 nonzero pairs; the exact bound says no.
  const zeros = studyStats([comparison('x', 'zeros-five-positive')], { bootstrap: { resamples: 500 } })
    .comparisons[0]!;
  assert.ok(zeros.p < 0.05 && !zeros.significant);
  assert.equal(
    zeros.verdict,
    'not testable: 7 pairs (2 with zero difference), the smallest possible Wilcoxon p is 0.063',
  );
  // Missing partners are reported.
  const missing = studyStats([{ ...family[0]!, values: { seed0: 0.9, seed99: 0.1 } }], {
    bootstrap: { resamples: 100 },
  });
  assert.deepEqual(missing.comparisons[0]!.missingInBaseline, ['seed99']);
  assert.equal(missing.comparisons[0]!.missingInArm.length, 9);
  // Average gain per (arm, metric) over datasets, sample std.
  const avg = s.averageGains[0]!;
  const g = s.comparisons.map((r) => r.meanGain);
  close(avg.meanGain, (g[0]! + g[1]! + g[2]! + g[3]!) / 4, 1e-12, 0, 'average gain');
  const m = avg.meanGain;
  close(avg.stdGain, Math.sqrt(g.reduce((a, x) => a + (x - m) ** 2, 0) / 3), 1e-12, 0, 'std gain');
  assert.ok(Number.isNaN(averageGain('a', 'm', [{ dataset: 'd', meanGain: 0.1 }]).stdGain));
  assert.throws(() => studyStats(family, { alpha: 1.5 }), ConfigError);
});
