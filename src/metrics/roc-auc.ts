/** ROC-AUC for one binary task, equal to scikit-learn's `roc_auc_score`. */
import { DatasetError } from '../errors.js';
import { thresholdCounts } from './binary-curve.js';
import type { NumberArray } from './types.js';
import { checkBinaryLabels, checkFinitePredictions, checkPaired } from './validate.js';

/**
 * Trapezoidal area under the ROC curve, ties forming one threshold (so a tie between a positive and a
 * negative counts 1/2). Throws a DatasetError when only one class is present, as sklearn does: the curve
 * is undefined without both positives and negatives.
 */
export function rocAuc(yTrue: NumberArray, yScore: NumberArray): number {
  checkPaired('roc-auc', yTrue, yScore);
  checkBinaryLabels('roc-auc', yTrue);
  checkFinitePredictions('roc-auc', yScore);
  const { tps, fps, positives, negatives } = thresholdCounts(yTrue, yScore);
  if (positives === 0 || negatives === 0) {
    throw new DatasetError(
      `roc-auc: only one class present in y_true (${yTrue.length} samples, all ${positives === 0 ? 0 : 1}); ` +
        'ROC-AUC is not defined in that case',
    );
  }
  // Integrate in integer counts and normalise once at the end: the same trapezoids sklearn sums over
  // (fpr, tpr), but exact, so the result cannot drift with n (counts stay far below 2^53).
  let twiceArea = 0;
  let prevTp = 0;
  let prevFp = 0;
  for (let k = 0; k < tps.length; k++) {
    const tp = tps[k]!;
    const fp = fps[k]!;
    twiceArea += (fp - prevFp) * (tp + prevTp);
    prevTp = tp;
    prevFp = fp;
  }
  return twiceArea / (2 * positives * negatives);
}
