/** molgrove: molecular representation learning. Subpaths: molgrove/chem, molgrove/data, molgrove/metrics. */
export * from './chem/index.js';
export * from './data/index.js';
export * from './errors.js';
export {
  accuracy,
  evaluate,
  getMetric,
  METRIC_NAMES,
  type MultiTaskResult,
  mae,
  prcAuc,
  r2,
  rmse,
  rocAuc,
} from './metrics/index.js';
export { VERSION } from './version.js';
