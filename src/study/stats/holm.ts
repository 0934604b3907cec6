// Holm–Bonferroni step-down adjustment (Holm 1979), as statsmodels' multipletests(method='holm'):
// sort the m p-values ascending, p_adj(i) = min(1, max_{j ≤ i} (m − j + 1)·p(j)), then put them back
// in input order. NaN p-values (tests that could not be run) are left out of the family — they do
// not count towards m — and come back as NaN.
import { ConfigError } from '../../errors.js';

export function holm(pvalues: readonly number[]): number[] {
  for (const p of pvalues) {
    if (!Number.isNaN(p) && !(p >= 0 && p <= 1))
      throw new ConfigError(`holm: p-value ${p} is outside [0, 1]`);
  }
  const family = pvalues.map((_, i) => i).filter((i) => !Number.isNaN(pvalues[i]));
  family.sort((i, j) => pvalues[i]! - pvalues[j]!);
  const m = family.length;
  const adjusted = pvalues.map(() => Number.NaN);
  let running = 0;
  family.forEach((i, rank) => {
    running = Math.max(running, (m - rank) * pvalues[i]!);
    adjusted[i] = Math.min(1, running);
  });
  return adjusted;
}
