/**
 * Precision-recall metrics for one binary task: `prcAuc` is the `prc-auc` of chemprop and GROVER
 * (`auc(recall, precision)` over sklearn's `precision_recall_curve`, trapezoidal), `averagePrecision` is
 * sklearn's `average_precision_score` (step-wise, no interpolation). Both follow sklearn's arithmetic
 * order so results agree to the last bits.
 */
import { DatasetError } from '../errors.js';
import { thresholdCounts } from './binary-curve.js';
import { numpySum } from './numpy-sum.js';
import type { NumberArray } from './types.js';
import { checkBinaryLabels, checkFinitePredictions, checkPaired } from './validate.js';

export interface PrecisionRecallCurve {
  /** In increasing-threshold order, as sklearn returns it: recall falls from 1 to the final 0. */
  readonly precision: Float64Array;
  readonly recall: Float64Array;
  /** thresholds[k] belongs to precision[k]/recall[k]; the final (precision 1, recall 0) point has none. */
  readonly thresholds: Float64Array;
}

/**
 * sklearn's `precision_recall_curve`. With no positive labels recall is undefined (sklearn only warns and
 * sets it to 1, making the area meaningless), so this throws a DatasetError instead.
 */
export function precisionRecallCurve(yTrue: NumberArray, yScore: NumberArray): PrecisionRecallCurve {
  return curve('precision-recall', yTrue, yScore);
}

function curve(metric: string, yTrue: NumberArray, yScore: NumberArray): PrecisionRecallCurve {
  checkPaired(metric, yTrue, yScore);
  checkBinaryLabels(metric, yTrue);
  checkFinitePredictions(metric, yScore);
  const counts = thresholdCounts(yTrue, yScore);
  const { tps, fps, positives } = counts;
  if (positives === 0) {
    throw new DatasetError(
      `${metric}: no positive labels among ${yTrue.length} samples; precision and recall are not defined`,
    );
  }
  const m = tps.length;
  const precision = new Float64Array(m + 1);
  const recall = new Float64Array(m + 1);
  const thresholds = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const j = m - 1 - k; // sklearn reverses so that recall decreases
    const tp = tps[j]!;
    precision[k] = tp / (tp + fps[j]!);
    recall[k] = tp / positives;
    thresholds[k] = counts.thresholds[j]!;
  }
  precision[m] = 1;
  recall[m] = 0;
  return { precision, recall, thresholds };
}

/** Trapezoidal area under precision(recall): `sklearn.metrics.auc(recall, precision)`. */
export function prcAuc(yTrue: NumberArray, yScore: NumberArray): number {
  const { precision, recall } = curve('prc-auc', yTrue, yScore);
  // np.trapz computes dx * (y[i+1] + y[i]) / 2 per segment; recall decreases, so auc() flips the sign.
  const terms = new Float64Array(recall.length - 1);
  for (let i = 0; i < terms.length; i++) {
    terms[i] = ((recall[i + 1]! - recall[i]!) * (precision[i + 1]! + precision[i]!)) / 2;
  }
  return -numpySum(terms);
}

/** Step-function area `-sum(diff(recall) * precision[:-1])`: sklearn's `average_precision_score`. */
export function averagePrecision(yTrue: NumberArray, yScore: NumberArray): number {
  const { precision, recall } = curve('average-precision', yTrue, yScore);
  const terms = new Float64Array(recall.length - 1);
  for (let i = 0; i < terms.length; i++) terms[i] = (recall[i + 1]! - recall[i]!) * precision[i]!;
  return -numpySum(terms);
}
