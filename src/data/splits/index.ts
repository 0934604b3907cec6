/**
 * Dataset splits exactly as the papers' code made them: Hu et al.'s `scaffold` and `random_scaffold`,
 * GROVER/chemprop's `balanced_scaffold` and `random`, plus a `stratified` convention. Pure functions over
 * scaffold strings and labels (no RDKit here), with exact ports of CPython's and NumPy's generators.
 */
export { balancedScaffoldSplit, balancedScaffoldSplitter } from './balanced-scaffold.js';
export { groupByScaffold, SIZES_TOLERANCE, validateSizes } from './common.js';
export {
  type DatasetSplitOptions,
  formatSplitJson,
  SCAFFOLD_INPUTS,
  type ScaffoldInput,
  splitDataset,
} from './dataset-split.js';
export { MT19937 } from './mt19937.js';
export { NumpyRandomState, PyRandom, seedWords } from './pyrandom.js';
export { randomSplit, randomSplitter } from './random.js';
export { randomScaffoldSplit, randomScaffoldSplitter } from './random-scaffold.js';
export { getSplitter, SPLIT_METHOD_NAMES, SPLITTERS, split } from './registry.js';
export { scaffoldSplit, scaffoldSplitter } from './scaffold.js';
export { stratifiedSplit, stratifiedSplitter } from './stratified.js';
export type { SplitInput, SplitMethod, SplitResult, SplitSizes, Splitter } from './types.js';
