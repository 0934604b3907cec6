/**
 * Metric registry: one place that maps the names users type (`auc`, `roc-auc`, `prc-auc`, …) to the
 * function, its direction (for model selection and early stopping) and the task type it applies to.
 */
import { unknownChoice } from '../errors.js';
import { accuracy } from './accuracy.js';
import { scoreTasks, type TaskRule } from './multi-task.js';
import { prcAuc } from './precision-recall.js';
import { mae, r2, rmse } from './regression.js';
import { rocAuc } from './roc-auc.js';
import type { MultiTaskResult, NumberArray, ScoreFn } from './types.js';

export type MetricName = 'roc-auc' | 'prc-auc' | 'accuracy' | 'rmse' | 'mae' | 'r2';

export interface MetricInfo extends TaskRule {
  /** Canonical name, used in reports. */
  readonly name: MetricName;
  /** Other accepted spellings. */
  readonly aliases: readonly string[];
  readonly higherIsBetter: boolean;
  /** Single-task implementation. */
  readonly score: ScoreFn;
}

const classification = { taskType: 'classification', minRows: 1 } as const;
const regression = { taskType: 'regression', needsBothClasses: false } as const;

export const METRICS: readonly MetricInfo[] = [
  {
    ...classification,
    name: 'roc-auc',
    aliases: ['auc'],
    higherIsBetter: true,
    needsBothClasses: true,
    score: rocAuc,
  },
  {
    ...classification,
    name: 'prc-auc',
    aliases: [],
    higherIsBetter: true,
    needsBothClasses: true,
    score: prcAuc,
  },
  {
    ...classification,
    name: 'accuracy',
    aliases: [],
    higherIsBetter: true,
    needsBothClasses: false,
    score: (yTrue, yPred) => accuracy(yTrue, yPred),
  },
  { ...regression, name: 'rmse', aliases: [], higherIsBetter: false, minRows: 1, score: rmse },
  { ...regression, name: 'mae', aliases: [], higherIsBetter: false, minRows: 1, score: mae },
  // R² is NaN below two rows, so such tasks are skipped rather than poisoning the mean.
  { ...regression, name: 'r2', aliases: [], higherIsBetter: true, minRows: 2, score: r2 },
];

/** Every accepted name, canonical names and aliases alike. */
export const METRIC_NAMES: readonly string[] = METRICS.flatMap((m) => [m.name, ...m.aliases]);

/** Looks a metric up by name or alias, case-insensitively; unknown names fail listing the choices. */
export function getMetric(name: string): MetricInfo {
  const key = name.trim().toLowerCase();
  const found = METRICS.find((m) => m.name === key || m.aliases.includes(key));
  if (found === undefined) throw unknownChoice('metric', name, METRIC_NAMES);
  return found;
}

/**
 * Evaluates a metric over a row-major n×nTasks matrix of labels (NaN = missing) and predictions:
 * per-task values, the tasks skipped, and the mean over the tasks scored.
 */
export function evaluate(
  metricName: string,
  yTrue: NumberArray,
  yPred: NumberArray,
  nTasks: number,
): MultiTaskResult {
  const metric = getMetric(metricName);
  return scoreTasks(metric.name, metric.score, metric, yTrue, yPred, nTasks);
}
