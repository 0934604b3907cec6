/** molgrove/chem: the RDKit wrapper, perception, featurizer presets, scaffolds and fr_* fragments. */
export {
  FEATURIZER_NAMES,
  type FeatureBlock,
  type Featurizer,
  GROVER_SMARTS,
  getFeaturizer,
} from './featurizers/index.js';
export {
  hashedMorganCounts,
  type MorganOptions,
  morganBits,
  morganBitsOf,
  morganCounts,
  morganCountsOf,
  resolveMorganOptions,
} from './fingerprints.js';
export { FRAGMENT_NAMES, fragmentCounts, fragmentCountsOfSmiles, motifLabels } from './fragments.js';
export { type AtomInfo, type BondInfo, type PerceivedMol, perceive } from './perception.js';
export { isValidSmiles, loadRDKit, type MolRecord, type MolView, rdkitVersion, withMol } from './rdkit.js';
export { murckoScaffold, type ScaffoldOptions, scaffoldSmiles } from './scaffold.js';
