/**
 * Regression metrics for one task, computed as scikit-learn does (`mean_squared_error(squared=False)`,
 * `mean_absolute_error`, `r2_score`), including numpy's summation order so values match to the last bits.
 */
import { numpyMean, numpySum } from './numpy-sum.js';
import type { NumberArray } from './types.js';
import { checkFiniteLabels, checkFinitePredictions, checkPaired } from './validate.js';

function checked(metric: string, yTrue: NumberArray, yPred: NumberArray): void {
  checkPaired(metric, yTrue, yPred);
  checkFiniteLabels(metric, yTrue);
  checkFinitePredictions(metric, yPred);
}

function squaredErrors(yTrue: NumberArray, yPred: NumberArray): Float64Array {
  const out = new Float64Array(yTrue.length);
  for (let i = 0; i < out.length; i++) {
    const d = yTrue[i]! - yPred[i]!;
    out[i] = d * d;
  }
  return out;
}

/** Root mean squared error. */
export function rmse(yTrue: NumberArray, yPred: NumberArray): number {
  checked('rmse', yTrue, yPred);
  return Math.sqrt(numpyMean(squaredErrors(yTrue, yPred)));
}

/** Mean absolute error. */
export function mae(yTrue: NumberArray, yPred: NumberArray): number {
  checked('mae', yTrue, yPred);
  const abs = new Float64Array(yTrue.length);
  for (let i = 0; i < abs.length; i++) abs[i] = Math.abs(yPred[i]! - yTrue[i]!);
  return numpyMean(abs);
}

/**
 * Coefficient of determination with sklearn 1.2's `force_finite=True` rules: perfect predictions score
 * 1.0 even for a constant target, imperfect predictions of a constant target score 0.0 instead of -inf,
 * and fewer than two samples give NaN (sklearn warns and returns NaN there too).
 *
 * "Constant" means the residuals around the computed mean are exactly zero, as in sklearn: a target like
 * ten copies of 0.1 has a mean that is off by one ulp, so sklearn (and this) returns a huge negative score.
 */
export function r2(yTrue: NumberArray, yPred: NumberArray): number {
  checked('r2', yTrue, yPred);
  if (yTrue.length < 2) return Number.NaN;
  const numerator = numpySum(squaredErrors(yTrue, yPred));
  const mean = numpyMean(yTrue);
  const centred = new Float64Array(yTrue.length);
  for (let i = 0; i < centred.length; i++) {
    const d = yTrue[i]! - mean;
    centred[i] = d * d;
  }
  const denominator = numpySum(centred);
  if (numerator === 0) return 1;
  if (denominator === 0) return 0;
  return 1 - numerator / denominator;
}
