/**
 * `stratified`: a seeded, class-proportional random split for single-task classification. No paper's
 * code defines one, so this is molgrove's own convention, chosen to reuse the `random` split's rules:
 *
 * - Strata: each distinct label value among the valid molecules, ascending (labels must be integers,
 *   e.g. 0/1), then one stratum of molecules whose label is missing (NaN), if any.
 * - One CPython generator, `random.seed(seed)`, shuffles each stratum's rows (file order) in turn, in
 *   stratum order; each stratum is cut like `random`: `int(sizes[0] * m)` to train,
 *   up to `int((sizes[0] + sizes[1]) * m)` to valid, the rest to test.
 * - train/valid/test are returned ascending.
 */
import { ConfigError } from '../../errors.js';
import { append, prepare, result } from './common.js';
import { PyRandom } from './pyrandom.js';
import type { SplitInput, SplitResult, Splitter } from './types.js';

export function stratifiedSplit(input: SplitInput): SplitResult {
  const p = prepare('stratified', input);
  const labels = input.labels;
  if (!labels) throw new ConfigError("split method 'stratified' needs one class label per row (labels)");
  const strata = new Map<number, number[]>();
  const missing: number[] = [];
  for (const row of p.rows) {
    const y = labels[row]!;
    if (Number.isNaN(y)) {
      missing.push(row);
      continue;
    }
    if (!Number.isInteger(y)) {
      throw new ConfigError(
        `split method 'stratified' needs integer class labels; row ${row} has ${y} (a regression task?)`,
      );
    }
    const s = strata.get(y);
    if (s) s.push(row);
    else strata.set(y, [row]);
  }
  const ordered = [...strata.keys()].sort((a, b) => a - b).map((k) => strata.get(k)!);
  if (missing.length > 0) ordered.push(missing);
  const rng = new PyRandom(p.seed);
  const train: number[] = [];
  const valid: number[] = [];
  const test: number[] = [];
  for (const stratum of ordered) {
    rng.shuffle(stratum);
    const m = stratum.length;
    const a = Math.trunc(p.sizes[0] * m);
    const b = Math.trunc((p.sizes[0] + p.sizes[1]) * m);
    append(train, stratum.slice(0, a));
    append(valid, stratum.slice(a, b));
    append(test, stratum.slice(b));
  }
  const asc = (x: number, y: number) => x - y;
  return result('stratified', p, train.sort(asc), valid.sort(asc), test.sort(asc));
}

export const stratifiedSplitter: Splitter = {
  name: 'stratified',
  aliases: [],
  description: 'seeded class-stratified random split for one classification task (molgrove convention)',
  scaffolds: 'none',
  needsLabels: true,
  split: stratifiedSplit,
};
