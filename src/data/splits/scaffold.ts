/**
 * `scaffold`: Hu et al.'s deterministic `scaffold_split` (snap-stanford/pretrain-gnns chem/splitters.py),
 * the split behind their fine-tuning tables.
 *
 * - Scaffolds are Murcko scaffold SMILES *with* chirality; molecules are grouped by scaffold string.
 * - Groups are sorted by the key (group size, first index of the group) in descending order: largest
 *   first, and among equal sizes the group whose first molecule comes *later* goes first.
 * - With n valid molecules, `train_cutoff = frac_train * n` and `valid_cutoff = (frac_train + frac_valid) * n`
 *   (floats). Each group in turn goes to train if `len(train) + len(group) <= train_cutoff`; otherwise to
 *   valid if `len(train) + len(valid) + len(group) <= valid_cutoff`; otherwise to test. Every group is
 *   tested against train, so a small group can still land in train after a large one overflowed.
 * - The reference can first drop molecules whose label for one task equals a null value (`task_idx`);
 *   its fine-tuning script calls it with `task_idx=None`, so only unparsable molecules (which its dataset
 *   loader already dropped) are excluded here. The seed is not used.
 *
 * Indices come back as the reference lists them: groups in sorted order, each group ascending.
 */
import { append, groupByScaffold, prepare, requireScaffolds, result } from './common.js';
import type { SplitInput, SplitResult, Splitter } from './types.js';

export function scaffoldSplit(input: SplitInput): SplitResult {
  const scaffolds = requireScaffolds('scaffold', input);
  const p = prepare('scaffold', input);
  const groups = groupByScaffold(p.rows, scaffolds);
  // sorted(..., key=lambda x: (len(x[1]), x[1][0]), reverse=True); keys are unique (first indices differ).
  groups.sort((a, b) => b.length - a.length || b[0]! - a[0]!);
  const n = p.rows.length;
  const trainCutoff = p.sizes[0] * n;
  const validCutoff = (p.sizes[0] + p.sizes[1]) * n;
  const train: number[] = [];
  const valid: number[] = [];
  const test: number[] = [];
  for (const group of groups) {
    if (train.length + group.length > trainCutoff) {
      if (train.length + valid.length + group.length > validCutoff) append(test, group);
      else append(valid, group);
    } else {
      append(train, group);
    }
  }
  return result('scaffold', p, train, valid, test);
}

export const scaffoldSplitter: Splitter = {
  name: 'scaffold',
  aliases: [],
  description:
    'deterministic scaffold split (Hu et al. pretrain-gnns scaffold_split: largest scaffold sets first)',
  scaffolds: 'chiral',
  needsLabels: false,
  split: scaffoldSplit,
};
