/** Classification accuracy of thresholded scores for one binary task. */
import { MolgroveError } from '../errors.js';
import type { NumberArray } from './types.js';
import { checkBinaryLabels, checkFinitePredictions, checkPaired } from './validate.js';

/**
 * Fraction of rows whose predicted class matches the label, predicting 1 when `score > threshold`.
 * The strict `>` is chemprop's rule, so a score of exactly 0.5 counts as class 0.
 */
export function accuracy(yTrue: NumberArray, yScore: NumberArray, threshold = 0.5): number {
  checkPaired('accuracy', yTrue, yScore);
  checkBinaryLabels('accuracy', yTrue);
  checkFinitePredictions('accuracy', yScore);
  if (!Number.isFinite(threshold)) throw new MolgroveError('CONFIG', `accuracy: threshold is ${threshold}`);
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const predicted = yScore[i]! > threshold ? 1 : 0;
    if (predicted === yTrue[i]) correct++;
  }
  return correct / yTrue.length;
}
