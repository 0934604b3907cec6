/** Public metrics API: single-task scikit-learn-equivalent metrics, multi-task evaluation, the registry. */
export { accuracy } from './accuracy.js';
export { scoreTasks, type TaskRule } from './multi-task.js';
export {
  averagePrecision,
  type PrecisionRecallCurve,
  prcAuc,
  precisionRecallCurve,
} from './precision-recall.js';
export { evaluate, getMetric, METRIC_NAMES, METRICS, type MetricInfo, type MetricName } from './registry.js';
export { mae, r2, rmse } from './regression.js';
export { rocAuc } from './roc-auc.js';
export type { MultiTaskResult, NumberArray, ScoreFn, TaskType } from './types.js';
