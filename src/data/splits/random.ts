/**
 * `random`: chemprop v1 / GROVER `split_data(split_type='random')` (chemprop/data/utils.py,
 * grover/util/utils.py with grover/data/moldataset.py `MoleculeDataset.shuffle`).
 *
 * The valid molecules (in file order) are shuffled with `random.seed(seed); random.shuffle(...)`
 * (CPython), then cut at `train_size = int(sizes[0] * n)` and `train_val_size = int((sizes[0] + sizes[1]) * n)`:
 * train = [0, train_size), valid = [train_size, train_val_size), test = the rest. Indices come back
 * in shuffled order, as the reference returns the data.
 *
 * Hu et al.'s `random_split` (chem/splitters.py) shuffles identically but ends valid at
 * `int(sizes[0] * n) + int(sizes[1] * n)`, which can put one molecule differently (e.g. n = 2039).
 */
import { prepare, result } from './common.js';
import { PyRandom } from './pyrandom.js';
import type { SplitInput, SplitResult, Splitter } from './types.js';

export function randomSplit(input: SplitInput): SplitResult {
  const p = prepare('random', input);
  const order = new PyRandom(p.seed).shuffle([...p.rows]);
  const n = order.length;
  const trainSize = Math.trunc(p.sizes[0] * n);
  const trainValSize = Math.trunc((p.sizes[0] + p.sizes[1]) * n);
  return result(
    'random',
    p,
    order.slice(0, trainSize),
    order.slice(trainSize, trainValSize),
    order.slice(trainValSize),
  );
}

export const randomSplitter: Splitter = {
  name: 'random',
  aliases: [],
  description: 'seeded random split (chemprop v1 / GROVER split_data: random.shuffle, int(0.8n), int(0.9n))',
  scaffolds: 'none',
  needsLabels: false,
  split: randomSplit,
};
