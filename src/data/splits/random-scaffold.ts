/**
 * `random_scaffold`: Hu et al.'s `random_scaffold_split` (snap-stanford/pretrain-gnns chem/splitters.py,
 * adapted from chainer-chemistry).
 *
 * - Scaffolds *with* chirality; groups in order of first appearance (a `defaultdict(list)`), members
 *   ascending.
 * - `rng = np.random.RandomState(seed)`; `rng.permutation(list(scaffolds.values()))` shuffles the list of
 *   groups with NumPy's legacy shuffle (same draws as `permutation(len(groups))`).
 * - `n_total_valid = floor(frac_valid * n)`, `n_total_test = floor(frac_test * n)` with n valid molecules.
 *   Each group in permuted order goes to valid if it still fits, else to test if it fits, else to train.
 *
 * Indices come back as the reference lists them: groups in permuted order, each ascending.
 * (The reference passes a ragged list to `permutation`, which NumPy >= 1.24 rejects; the draws are
 * those of older NumPy, which built a 1-D object array.)
 */
import { append, groupByScaffold, prepare, requireScaffolds, result } from './common.js';
import { NumpyRandomState } from './pyrandom.js';
import type { SplitInput, SplitResult, Splitter } from './types.js';

export function randomScaffoldSplit(input: SplitInput): SplitResult {
  const scaffolds = requireScaffolds('random_scaffold', input);
  const p = prepare('random_scaffold', input, { maxSeed: 2 ** 32 - 1 });
  const n = p.rows.length;
  const groups = new NumpyRandomState(p.seed).permutation(groupByScaffold(p.rows, scaffolds));
  const nValid = Math.floor(p.sizes[1] * n);
  const nTest = Math.floor(p.sizes[2] * n);
  const train: number[] = [];
  const valid: number[] = [];
  const test: number[] = [];
  for (const group of groups) {
    if (valid.length + group.length <= nValid) append(valid, group);
    else if (test.length + group.length <= nTest) append(test, group);
    else append(train, group);
  }
  return result('random_scaffold', p, train, valid, test);
}

export const randomScaffoldSplitter: Splitter = {
  name: 'random_scaffold',
  aliases: [],
  description: 'seeded random scaffold split (Hu et al. random_scaffold_split: NumPy-permuted scaffold sets)',
  scaffolds: 'chiral',
  needsLabels: false,
  split: randomScaffoldSplit,
};
