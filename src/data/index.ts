/** molgrove/data: reading molecule tables, the dataset registry, resolving and loading datasets. */

export { batchGraphs, type GraphBatch } from './batch.js';
export {
  type CsvTable,
  defaultSmilesColumn,
  detectFormat,
  findColumn,
  parseCsv,
  type ReadCsvOptions,
  readCsv,
  readCsvSync,
  type SmilesRow,
  type StreamSmilesOptions,
  streamSmiles,
  type TableFormat,
} from './csv.js';
export {
  defaultMetric,
  type LoadCsvOptions,
  type LoadDatasetOptions,
  loadCsvDataset,
  loadDataset,
  type MoleculeDataset,
  subsetDataset,
  targetAt,
} from './dataset.js';
export { type CachedFeaturizeOptions, featureCacheDir, featurizeDataset } from './feature-cache.js';
export { type FeaturizeOptions, featurizeAll } from './featurize.js';
export { FeaturizedDataset, type InvalidRow, type PackedGraphs } from './featurized.js';
export {
  cacheDir,
  clearChecksumCache,
  type DatasetSource,
  dataDir,
  describeSource,
  type FetchableSpec,
  fileSha256,
  isAvailableLocally,
  type ResolveOptions,
  resolveDatasetFile,
} from './fetch.js';
export {
  type ComputeMolFeaturesOptions,
  computeMolFeatures,
  type FeatureWhere,
  getMolFeatureGenerator,
  type LoadFeatureFileOptions,
  listMolFeatureGenerators,
  loadFeatureFile,
  MOL_FEATURE_NAMES,
  type MolFeatureGenerator,
  type MolFeatureMatrix,
  type MolFeatureOptions,
} from './mol-features.js';
export { buildMolGraph, featurizeSmiles, type MolGraph } from './molgraph.js';
export {
  type DatasetGroup,
  type DatasetMetric,
  type DatasetSpec,
  datasetNames,
  getDatasetSpec,
  isRegisteredDataset,
  listDatasets,
  type TaskType,
} from './registry.js';
