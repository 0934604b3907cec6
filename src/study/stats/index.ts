// Statistics of molgrove studies: paired tests of a pretrained arm against its baseline over
// matching seeds/splits, Holm's correction across a study, bootstrap intervals and verdicts.
export { type AverageGain, averageGain, type DatasetGain } from './average-gain.js';
export {
  type BootstrapInterval,
  type BootstrapOptions,
  bootstrapMeanCI,
  DEFAULT_RESAMPLES,
  quantile,
} from './bootstrap.js';
export { holm } from './holm.js';
export { mean, type PairedTTest, pairedTTest } from './paired-t.js';
export { type Direction, type Pairing, pairByKey, type ValuesByKey } from './pairing.js';
export {
  type Comparison,
  type ComparisonResult,
  formatP,
  type PrimaryTest,
  type StudyStats,
  type StudyStatsOptions,
  studyStats,
} from './verdict.js';
export { averageRanks, EXACT_MAX_N, type WilcoxonTest, wilcoxonSignedRank } from './wilcoxon.js';
