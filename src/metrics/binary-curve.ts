/**
 * Cumulative true/false positive counts per distinct score threshold, highest threshold first: the
 * counting core of scikit-learn's `_binary_clf_curve`. Tied scores collapse into one threshold, which is
 * what makes ROC-AUC give ties half credit instead of depending on the sort order.
 */
import type { NumberArray } from './types.js';

export interface ThresholdCounts {
  /** tps[k]: positives with score >= the k-th highest distinct score. */
  readonly tps: Float64Array;
  /** fps[k]: negatives with score >= the k-th highest distinct score. */
  readonly fps: Float64Array;
  /** The distinct scores themselves, descending. */
  readonly thresholds: Float64Array;
  readonly positives: number;
  readonly negatives: number;
}

/** Expects validated input: labels in {0, 1}, finite scores, equal non-zero lengths. */
export function thresholdCounts(yTrue: NumberArray, yScore: NumberArray): ThresholdCounts {
  const n = yTrue.length;
  const order = Array.from({ length: n }, (_, i) => i);
  // Descending by score; the order inside a tie is irrelevant because a tie is consumed as one block.
  order.sort((a, b) => yScore[b]! - yScore[a]!);
  const tps: number[] = [];
  const fps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    if (yTrue[i] === 1) tp++;
    else fp++;
    // Close a threshold only where the next score differs (or at the end), as np.diff(y_score) != 0 does.
    const next = order[k + 1];
    if (next === undefined || yScore[next] !== yScore[i]) {
      tps.push(tp);
      fps.push(fp);
      thresholds.push(yScore[i]!);
    }
  }
  return {
    tps: Float64Array.from(tps),
    fps: Float64Array.from(fps),
    thresholds: Float64Array.from(thresholds),
    positives: tp,
    negatives: fp,
  };
}
