/**
 * `balanced_scaffold` (alias `scaffold_balanced`): GROVER's `split_type='scaffold_balanced'`
 * (tencent-ailab/grover grover/util/utils.py `scaffold_split(balanced=True)`), itself chemprop v1's
 * (chemprop/data/scaffold.py).
 *
 * - Scaffolds are Murcko scaffold SMILES *without* chirality, grouped in order of first appearance.
 * - With n valid molecules: `train_size = sizes[0] * n`, `val_size = sizes[1] * n`,
 *   `test_size = sizes[2] * n` (floats, not the remainder).
 * - A group is "big" if `len > val_size / 2 or len > test_size / 2`. `random.seed(seed)`, then
 *   `random.shuffle(big)` and `random.shuffle(small)` with the same CPython generator; big groups first.
 * - Greedy fill: train if `len(train) + len(group) <= train_size`, else valid if
 *   `len(valid) + len(group) <= val_size`, else test.
 *
 * Indices come back group by group in that order. Within a group the reference iterates a Python `set`
 * of ints, whose order is a CPython hash-table detail that changed between Python versions (the set
 * load factor changed in 3.7); here each group is ascending. Membership of train/valid/test is exact.
 */
import { append, groupByScaffold, prepare, requireScaffolds, result } from './common.js';
import { PyRandom } from './pyrandom.js';
import type { SplitInput, SplitResult, Splitter } from './types.js';

export function balancedScaffoldSplit(input: SplitInput): SplitResult {
  const scaffolds = requireScaffolds('balanced_scaffold', input);
  const p = prepare('balanced_scaffold', input);
  const n = p.rows.length;
  const trainSize = p.sizes[0] * n;
  const valSize = p.sizes[1] * n;
  const testSize = p.sizes[2] * n;
  const big: number[][] = [];
  const small: number[][] = [];
  for (const group of groupByScaffold(p.rows, scaffolds)) {
    (group.length > valSize / 2 || group.length > testSize / 2 ? big : small).push(group);
  }
  const rng = new PyRandom(p.seed);
  rng.shuffle(big);
  rng.shuffle(small);
  const train: number[] = [];
  const valid: number[] = [];
  const test: number[] = [];
  for (const group of [...big, ...small]) {
    if (train.length + group.length <= trainSize) append(train, group);
    else if (valid.length + group.length <= valSize) append(valid, group);
    else append(test, group);
  }
  return result('balanced_scaffold', p, train, valid, test);
}

export const balancedScaffoldSplitter: Splitter = {
  name: 'balanced_scaffold',
  aliases: ['scaffold_balanced'],
  description: 'seeded balanced scaffold split (GROVER/chemprop scaffold_balanced: big sets first, shuffled)',
  scaffolds: 'achiral',
  needsLabels: false,
  split: balancedScaffoldSplit,
};
