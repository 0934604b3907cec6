/**
 * Input checks shared by every metric. Shape problems (lengths, non-finite predictions) are SHAPE errors
 * because they mean the caller wired arrays wrongly or the model diverged; bad label values are DATASET
 * errors because they come from the data file. Messages name the offending row (and task) so the fix is
 * obvious without a debugger.
 */
import { DatasetError, MolgroveError } from '../errors.js';
import type { NumberArray } from './types.js';

/** Same length and at least one sample: every single-task metric needs this before anything else. */
export function checkPaired(metric: string, yTrue: NumberArray, yPred: NumberArray): void {
  if (yTrue.length !== yPred.length) {
    throw new MolgroveError(
      'SHAPE',
      `${metric}: y_true has ${yTrue.length} values but predictions have ${yPred.length}`,
    );
  }
  if (yTrue.length === 0) throw new MolgroveError('SHAPE', `${metric}: no samples to evaluate`);
}

/** NaN/±Infinity predictions would silently poison sorting and sums; refuse them up front. */
export function checkFinitePredictions(metric: string, yPred: NumberArray): void {
  for (let i = 0; i < yPred.length; i++) {
    const v = yPred[i]!;
    if (!Number.isFinite(v)) throw new MolgroveError('SHAPE', `${metric}: prediction at row ${i} is ${v}`);
  }
}

/** Single-task labels must be present; missing labels (NaN) are only meaningful to the multi-task API. */
export function checkFiniteLabels(metric: string, yTrue: NumberArray): void {
  for (let i = 0; i < yTrue.length; i++) {
    const v = yTrue[i]!;
    if (Number.isNaN(v)) {
      throw new DatasetError(
        `${metric}: label at row ${i} is missing (NaN); drop it first or use the multi-task evaluate()`,
      );
    }
    if (!Number.isFinite(v)) throw new DatasetError(`${metric}: label at row ${i} is ${v}`);
  }
}

/** Binary metrics treat 1 as the positive class, so anything other than 0/1 is a data error. */
export function checkBinaryLabels(metric: string, yTrue: NumberArray): void {
  checkFiniteLabels(metric, yTrue);
  for (let i = 0; i < yTrue.length; i++) {
    const v = yTrue[i]!;
    if (v !== 0 && v !== 1) throw new DatasetError(`${metric}: label at row ${i} is ${v}, expected 0 or 1`);
  }
}
